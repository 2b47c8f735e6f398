#!/usr/bin/env bash
# check.sh: the README's second command, and what CI runs. Installs what is
# missing (apt), builds phaseprof, and runs every test (unit and integration).
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
cd "$top/build"
# integration tests attach probes system-wide and time things: one at a time
exec ctest --output-on-failure --timeout 900
