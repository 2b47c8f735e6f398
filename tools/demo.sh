#!/usr/bin/env bash
# demo.sh: the README's first command. Installs what is missing (apt), builds
# phaseprof, and times the bundled example app on node.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/deps.sh"
install_deps
build_phaseprof "$top"
echo
echo "+ build/phaseprof -x node -o out -- build/examples/fib.wasm"
cd "$top"
exec build/phaseprof -x node -o out -- build/examples/fib.wasm
