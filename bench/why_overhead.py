#!/usr/bin/env python3
"""why_overhead.py: the CPU time node uses running the example app (fib.wasm)
bare, under phaseprof timing phases only (-F 0), and under phaseprof with
--syscalls --off-cpu (-F 0): median of N interleaved runs (default 7). CPU
time is the kernel's own count (rusage) in every case. Goal: --syscalls
--off-cpu add at most 5% to the runtime's CPU time. Needs root, node and
build/.

    sudo bench/why_overhead.py [-n 7] [ARG]    # ARG: fib's argument (default 30)
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
phaseprof = os.path.join(top, "build", "phaseprof")
wasm = os.path.join(top, "build", "examples", "fib.wasm")
runner = os.path.join(top, "probes", "node-wasi.cjs")
args = sys.argv[1:]
n, fib = 7, "30"
while args:
    if args[0] == "-n":
        n, args = int(args[1]), args[2:]
    elif args[0].isdigit():
        fib, args = args[0], args[1:]
    else:
        sys.exit(f"usage: {sys.argv[0]} [-n N] [ARG]")


def bare():
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["node", "--experimental-wasi-unstable-preview1", "--no-warnings", runner, wasm, fib],
                   check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def traced(extra):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([phaseprof, "-x", "node", "-F", "0", "-o", out] + extra + ["--", wasm, fib],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, "phases.json")) as f:
            doc = json.load(f)
    ru = doc["rusage"]
    return (ru["user_ns"] + ru["system_ns"]) / 1e9, doc["profiler"]


b, t0, t1, share = [], [], [], []
for _ in range(n):
    b.append(bare())
    t0.append(traced([])[0])
    cpu, prof = traced(["--syscalls", "--off-cpu"])
    t1.append(cpu)
    share.append(prof["bpf_cpu_share"] or 0)
mb, m0, m1 = statistics.median(b), statistics.median(t0), statistics.median(t1)
print(f"node fib.wasm {fib}: CPU seconds, median of {n} interleaved runs")
print(f"  bare                          {mb:.4f}")
print(f"  phaseprof -F 0                {m0:.4f}  {100 * (m0 / mb - 1):+.2f}% vs bare")
print(f"  with --syscalls --off-cpu      {m1:.4f}  {100 * (m1 / mb - 1):+.2f}% vs bare, "
      f"{100 * (m1 / m0 - 1):+.2f}% vs -F 0 (goal: at most +5%)")
print(f"  BPF programs' share of the runtime's CPU (median): {100 * statistics.median(share):.2f}%")
