#!/usr/bin/env python3
"""fixed_cost.py: phaseprof's fixed cost on the node example: the wall time of
`phaseprof -x node -- fib.wasm` minus that of the same node command run bare
(the node.probe argv, perf map included), median of N interleaved runs
(default 5), for phases only (-F 0), fp stacks and the default (auto: dwarf on
this machine). Needs root and a build in build/. phaseprof -v prints where
its own time goes.

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
bare_cmd = ["node", "--experimental-wasi-unstable-preview1", "--no-warnings", "--perf-basic-prof-only-functions",
            runner] + app
modes = {"phases only (-F 0)": ["-F", "0"], "fp stacks": ["--call-graph", "fp"],
         "default (auto call graph)": []}


def wall(cmd):
    t = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - t


wall(bare_cmd)  # warm the page cache
print(f"node {' '.join(app)}: {n} interleaved runs each")
for name, extra in modes.items():
    traced_cmd = [phaseprof] + extra + ["-x", "node", "--"] + app
    wall(traced_cmd)
    bare, traced = [], []
    for _ in range(n):
        bare.append(wall(bare_cmd))
        traced.append(wall(traced_cmd))
    mb, mt = statistics.median(bare), statistics.median(traced)
    print(f"  {name:26s} bare {mb * 1e3:6.1f} ms, phaseprof {mt * 1e3:6.1f} ms: "
          f"fixed cost {(mt - mb) * 1e3:6.1f} ms (aim: under 100 ms)")
