#!/bin/sh
# unwind_bench.sh: unwind 100,000 user stacks without frame pointers (the
# chain of tests/fixtures/unwind_chain.c, -O2 -fomit-frame-pointer: 455
# distinct samples, main thread, a pthread, a JIT trampoline and a CPU timer's
# signal handler, replayed), CFI loading of the binary and libc included.
# Goal: under 2 s. A benchmark, not a test: it prints figures.
# Usage: bench/unwind_bench.sh [TEST_UNWIND] [SAMPLES]
set -eu
BIN=${1:-$(dirname "$0")/../build/tests/test_unwind}
exec "$BIN" --bench "${2:-100000}"
