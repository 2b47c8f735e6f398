#!/bin/sh
# busy.sh [RUNS] [COMMAND...]: run COMMAND (default: the whole ctest in
# ./build) RUNS times in a row (default 3) while two busy loops occupy both
# cores, as a shared CI machine would; print each run's result and time.
# Exits non-zero if any run failed. Example, as the issue asks:
#   tests/busy.sh 3 bash .ci/run
set -u
runs=${1:-3}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then
	set -- sh -c "cd '$top/build' && ctest --output-on-failure --timeout 900"
fi
hogs=""
for _ in 1 2; do
	sh -c 'while :; do :; done' &
	hogs="$hogs $!"
done
# shellcheck disable=SC2086
trap 'kill $hogs 2>/dev/null' EXIT
trap 'exit 130' INT TERM
failed=0
for i in $(seq 1 "$runs"); do
	t0=$(date +%s)
	log=$(mktemp /tmp/busy.XXXXXX)
	if "$@" >"$log" 2>&1; then verdict=passed; else verdict=FAILED; failed=1; fi
	t1=$(date +%s)
	summary=$(grep -E 'tests passed|tests failed' "$log" | tail -n 1)
	echo "busy run $i/$runs: $verdict in $((t1 - t0)) s; ${summary:-no ctest summary} (log: $log)"
	grep -E '^\s+[0-9]+ - .*\((Failed|Timeout)' "$log" | sed 's/^/    /'
done
exit $failed
