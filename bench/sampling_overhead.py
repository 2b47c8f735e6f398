#!/usr/bin/env python3
"""sampling_overhead.py: the CPU time a CPU-bound app uses under phaseprof at
999 Hz, against a bare run: median of N interleaved runs (default 5). The app
is the test runtime computing fib(42) recursively on one thread, a fixed
amount of work; CPU time is the kernel's own count (rusage) in both cases. Goal: at most 2% more. Needs root and build/.

    sudo bench/sampling_overhead.py [-n 5] [-F 999] [-g fp|dwarf]

With -g dwarf every sample also copies the user stack for unwinding (goal:
at most 5% more).
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
phasetest = os.path.join(top, "build", "tests", "phasetest")
args = sys.argv[1:]
n, freq, mode = 5, "999", "fp"
while args:
    if args[0] == "-n":
        n, args = int(args[1]), args[2:]
    elif args[0] == "-F":
        freq, args = args[1], args[2:]
    elif args[0] == "-g":
        mode, args = args[1], args[2:]
    else:
        sys.exit(f"usage: {sys.argv[0]} [-n N] [-F HZ] [-g fp|dwarf]")
steps = ["execute=42:fib"]
env = dict(os.environ, PHASEPROF_PROBE_PATH=os.path.join(top, "tests", "probes"))


def bare():
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([phasetest] + steps, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def traced():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([phaseprof, "-x", phasetest, "-F", freq, "--call-graph", mode, "-o", out,
                        "--"] + steps,
                       env=env, check=True, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, "phases.json")) as f:
            ru = json.load(f)["rusage"]
    return (ru["user_ns"] + ru["system_ns"]) / 1e9


b, t = [], []
for _ in range(n):
    b.append(bare())
    t.append(traced())
mb, mt = statistics.median(b), statistics.median(t)
print(f"CPU-bound phasetest ({steps[0]}), {n} interleaved runs, sampling at {freq} Hz, {mode} call graph")
print(f"  bare      median CPU {mb * 1e3:8.1f} ms")
print(f"  phaseprof median CPU {mt * 1e3:8.1f} ms")
goal = 5 if mode == "dwarf" else 2
print(f"  overhead  {100 * (mt - mb) / mb:+.2f}%  (goal: at most +{goal}%)")
