#!/usr/bin/env bash
# check.sh: the README's second command, and what CI runs. Installs what is
# missing (apt), builds phaseprof, and runs every test (unit and integration),
# then the unit tests under ASan+UBSan and each fuzzer for a short time.
# Integration tests need root for BPF; without it they report SKIP and why.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/deps.sh"
install_deps
build_phaseprof "$top"
# real runtime builds, made outside the tree (see tests/integration/test_real_runtimes.py):
# the tests find them only through PHASEPROF_RUNTIMES, and skip without them
if [[ -z "${PHASEPROF_RUNTIMES:-}" && -d /opt/phaseprof-runtimes/bin ]]; then
	export PHASEPROF_RUNTIMES=/opt/phaseprof-runtimes/bin
fi
(
	cd "$top/build"
	# integration tests attach probes system-wide and time things: one at a time
	ctest --output-on-failure --timeout 900
)

# The unit tests again under AddressSanitizer and UBSan, in a build directory of
# their own (only the unit tests are built there: about 20 s).
asan=$top/build-asan
cmake -S "$top" -B "$asan" -DCMAKE_BUILD_TYPE=Debug \
	"-DCMAKE_C_FLAGS=-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	>/dev/null
units=$(cd "$asan" && ctest -N -R '^unit\.' | sed -n 's/^ *Test *#[0-9]*: unit\.//p')
# shellcheck disable=SC2086
cmake --build "$asan" -j"$(nproc)" --target $units
(cd "$asan" && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -R '^unit\.')

# Every fuzzer for a short fixed time (all at once): a crash fails the check.
# PHASEPROF_FUZZ_SECONDS=0 skips them.
secs=${PHASEPROF_FUZZ_SECONDS:-15}
if [ "$secs" -gt 0 ]; then
	PHASEPROF_FUZZ_BUILD=$top/build-fuzz sh "$top/tests/fuzz/run.sh" "$secs"
fi
