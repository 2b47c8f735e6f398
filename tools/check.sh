#!/usr/bin/env bash
# check.sh: the README's second command, and what CI runs. Installs what is
# missing (apt), builds phaseprof, and runs every test (unit and integration).
# Integration tests need root for BPF; without it they report SKIP and why.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/deps.sh"
install_deps
build_phaseprof "$top"
cd "$top/build"
# integration tests attach probes system-wide and time things: one at a time
exec ctest --output-on-failure --timeout 900
