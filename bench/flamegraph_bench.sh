#!/bin/sh
# SPDX-License-Identifier: MIT
# flamegraph_bench.sh: render a reproducible big folded file (default 160 MiB,
# fixed seed) and report MB/s and peak RSS against the input size.
# Goal: >= 200 MB/s and peak RSS <= 2x the input.
#
#   bench/flamegraph_bench.sh [BUILD_DIR] [MEGABYTES]
#
# Uses BUILD_DIR/phaseprof if it has the flamegraph verb, else
# BUILD_DIR/flamegraph/phaseprof-flamegraph. Needs cc and /usr/bin/time.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
mb=${2:-160}
work=${TMPDIR:-/tmp}/ppflame-bench
mkdir -p "$work"

# grep, not run: a phaseprof without the verb would take it for a program to record
if [ -x "$build/phaseprof" ] && grep -q "usage: phaseprof flamegraph" "$build/phaseprof"; then
	render="$build/phaseprof flamegraph"
elif [ -x "$build/flamegraph/phaseprof-flamegraph" ]; then
	render="$build/flamegraph/phaseprof-flamegraph flamegraph"
else
	echo "flamegraph_bench: no phaseprof with 'flamegraph' in $build; build it first" >&2
	exit 1
fi
if [ ! -x /usr/bin/time ]; then
	echo "flamegraph_bench: /usr/bin/time is missing; apt-get install time" >&2
	exit 1
fi

cc -O2 -o "$work/gen" "$here/flamegraph_gen.c"
input="$work/bench-$mb.folded"
if [ ! -s "$input" ]; then
	echo "generating $input ($mb MiB, seed 42)"
	"$work/gen" "$mb" 42 > "$input"
fi
bytes=$(stat -c %s "$input")

best=""
for run in 1 2 3; do
	/usr/bin/time -f "%e %M" -o "$work/time" $render "$input" > "$work/out.svg"
	read -r secs rss_kb < "$work/time"
	echo "run $run: ${secs}s, peak RSS ${rss_kb} KiB"
	if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
		best=$secs
		best_rss=$rss_kb
	fi
done

awk -v b="$bytes" -v s="$best" -v r="$best_rss" -v svg="$(stat -c %s "$work/out.svg")" 'BEGIN {
	mbs = b / 1e6 / s
	printf "input %.1f MB, svg %.1f MB, best %.2fs: %.0f MB/s; peak RSS %.1f MB = %.2fx input\n",
		b / 1e6, svg / 1e6, s, mbs, r * 1024 / 1e6, r * 1024 / b
	speed = (mbs >= 200) ? "met" : "NOT met"
	mem = (r * 1024 <= 2 * b) ? "met" : "NOT met"
	printf "goal: >= 200 MB/s %s, RSS <= 2x input %s\n", speed, mem
}'

if command -v flamegraph.pl >/dev/null 2>&1; then
	start=$(date +%s.%N)
	flamegraph.pl "$input" > "$work/fgpl.svg"
	end=$(date +%s.%N)
	awk -v b="$bytes" -v s="$start" -v e="$end" \
		'BEGIN { printf "flamegraph.pl: %.2fs, %.1f MB/s\n", e - s, b / 1e6 / (e - s) }'
else
	echo "flamegraph.pl: not installed, no comparison"
fi
