#!/usr/bin/env python3
"""fixed_cost.py: phaseprof's fixed cost on the node example: the wall time of
`phaseprof -x node -- fib.wasm` minus that of the same node command run bare,
median of N interleaved runs (default 5). Needs root and a build in build/.

    sudo bench/fixed_cost.py [-n 5] [APP.wasm [ARGS...]]
"""
import os
import statistics
import subprocess
import sys
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
phaseprof = os.path.join(top, "build", "phaseprof")
args = sys.argv[1:]
n = 5
if args[:1] == ["-n"]:
    n, args = int(args[1]), args[2:]
app = args or [os.path.join(top, "build", "examples", "fib.wasm"), "25"]
runner = os.path.join(top, "probes", "node-wasi.cjs")
bare_cmd = ["node", "--experimental-wasi-unstable-preview1", "--no-warnings", runner] + app
traced_cmd = [phaseprof, "-x", "node", "--"] + app


def wall(cmd):
    t = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - t


wall(bare_cmd)  # warm the page cache for both
wall(traced_cmd)
bare, traced = [], []
for _ in range(n):
    bare.append(wall(bare_cmd))
    traced.append(wall(traced_cmd))
mb, mt = statistics.median(bare), statistics.median(traced)
print(f"node {' '.join(app)}: {n} interleaved runs each")
print(f"  bare      median {mb * 1e3:7.1f} ms  (min {min(bare) * 1e3:.1f}, max {max(bare) * 1e3:.1f})")
print(f"  phaseprof median {mt * 1e3:7.1f} ms  (min {min(traced) * 1e3:.1f}, max {max(traced) * 1e3:.1f})")
print(f"  fixed cost       {(mt - mb) * 1e3:7.1f} ms  (aim: under 100 ms)")
