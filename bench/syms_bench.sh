#!/bin/sh
# syms_bench.sh: name 20,000 random function addresses of /usr/bin/node
# (demangled), load time included: phaseprof resolve beside addr2line -f -C.
# A benchmark, not a test: it prints figures. Usage: bench/syms_bench.sh [PHASEPROF] [BINARY]
set -eu
PP=${1:-$(dirname "$0")/../build/phaseprof}
BIN=${2:-/usr/bin/node}
N=20000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm --defined-only "$BIN" | awk '$2 ~ /^[TtWi]$/ { print "0x" $1 }' | sort -u |
	shuf -n "$N" --random-source=/dev/zero >"$tmp/addrs"
n=$(wc -l <"$tmp/addrs")
ms() { date +%s%N; }
t0=$(ms); "$PP" resolve -x "$BIN" --inputs-from "$tmp/addrs" >"$tmp/ours"; t1=$(ms)
"$PP" resolve -x "$BIN" --inputs-from /dev/null >/dev/null; t2=$(ms)
addr2line -f -C -e "$BIN" <"$tmp/addrs" >"$tmp/theirs"; t3=$(ms)
printf 'names of %s addresses of %s\n' "$n" "$BIN"
printf '  phaseprof resolve    %6d ms (of which load %d ms)\n' $(((t1 - t0) / 1000000)) $(((t2 - t1) / 1000000))
printf '  addr2line -f -C      %6d ms\n' $(((t3 - t2) / 1000000))
