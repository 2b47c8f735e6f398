#!/bin/sh
# run.sh [SECONDS]: build the libFuzzer targets (clang, ASan, UBSan) in a build
# directory of their own and run each for SECONDS (default 300), all at once,
# then print each one's executions, coverage and whether it crashed.
# Corpora grow in $BUILD/tests/fuzz/corpus/<target> and are reused next time;
# crash inputs land in $BUILD/tests/fuzz/artifacts/<target>/.
# Environment: PHASEPROF_FUZZ_BUILD (default build-fuzz in the source tree),
# FUZZ_TARGETS (default: all), FUZZ_ARGS (more libFuzzer options).
set -eu
secs=${1:-300}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${PHASEPROF_FUZZ_BUILD:-$src/build-fuzz}
targets=${FUZZ_TARGETS:-fuzz_syms fuzz_perfmap fuzz_mmaps fuzz_profile fuzz_folded fuzz_jsonread fuzz_plancache fuzz_kallsyms fuzz_symcache}

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DPHASEPROF_FUZZ=ON >/dev/null
# shellcheck disable=SC2086
make -s -C "$build" $targets
dir=$build/tests/fuzz
for t in $targets; do
	seeds=$dir/seeds/${t#fuzz_}
	mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t"
	echo "running $t for ${secs}s (log: $dir/$t.log)"
	# shellcheck disable=SC2086
	"$dir/$t" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$t/" ${FUZZ_ARGS:-} \
		"$dir/corpus/$t" "$seeds" >"$dir/$t.log" 2>&1 &
	echo $! >"$dir/$t.pid"
done
failed=0
for t in $targets; do
	status=0
	wait "$(cat "$dir/$t.pid")" || status=$?
	rm -f "$dir/$t.pid"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log")
	last=$(grep -E '^#[0-9]+' "$dir/$t.log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[^ ]*\).*/\1/p')
	eps=$(echo "$last" | sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p')
	if [ "$status" -eq 0 ]; then
		verdict="no crash"
	else
		verdict="CRASHED (exit $status): see $dir/$t.log and $dir/artifacts/$t/"
		failed=1
	fi
	printf '%-13s %ss: %s executions (%s/s), cov %s, ft %s, corpus %s: %s\n' "$t" "$secs" \
		"${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$verdict"
done
exit $failed
