#!/usr/bin/env python3
"""breakdown.py: where phaseprof's fixed cost goes, and the whole job against a
bare run and against perf, side by side, medians of N interleaved runs
(default 5). For each workload (node on fib.wasm; wasm3 on primes.wasm when
PHASEPROF_RUNTIMES or /opt/phaseprof-runtimes/bin has wasm3):

  - phaseprof's own steps from `-v` (find, resolve, load, attach, run, stacks
    folded = unwind + symbolize + fold, table, outputs = render; detach is
    paid after phaseprof exits), and each loaded BPF program with the
    instructions the verifier walked;
  - wall time of: the bare run; phaseprof -F 0; phaseprof fp; phaseprof
    default (all three writing their outputs, SVG included, to a temporary
    directory); `perf record -g` + `perf script` + a fold + `phaseprof
    flamegraph` to an SVG; each as a ratio of the bare run;
  - phaseprof's time outside the runtime's own run (its wall minus the
    runtime's exec-to-exit from phases.json): the fixed cost, free of the
    runtime's own run-to-run noise;
  - the target's CPU time (user + system) bare and under phaseprof fp and
    default (phases.json's rusage), as growth in percent.

The machine's load average is printed with every figure: on a loaded machine
wall times swell; CPU times and instruction counts do not. Needs root.

    sudo bench/breakdown.py [-n 5] [node|wasm3]...   (PHASEPROF=another build to compare)
"""
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
phaseprof = os.environ.get("PHASEPROF", os.path.join(top, "build", "phaseprof"))
runtimes = os.environ.get("PHASEPROF_RUNTIMES", "/opt/phaseprof-runtimes/bin")
STEP = re.compile(r"^\S+:\s+([\d.]+) ms \(cpu\s+([\d.]+) ms\): (.*)$")
VERIFIED = re.compile(r"loaded (\w+): (\d+) instructions verified")


def workloads():
    fib = os.path.join(top, "build", "examples", "fib.wasm")
    runner = os.path.join(top, "probes", "node-wasi.cjs")
    w = {"node": (["node", "--experimental-wasi-unstable-preview1", "--no-warnings",
                   "--perf-basic-prof-only-functions", runner, fib, "25"],
                  ["-x", "node", "--", fib, "25"])}
    wasm3 = os.path.join(runtimes, "wasm3")
    if os.access(wasm3, os.X_OK):
        primes = os.path.join(top, "build", "examples", "primes.wasm")
        w["wasm3"] = ([wasm3, primes, "2000000", "10"], ["-x", wasm3, "--", primes, "2000000", "10"])
    return w


def timed(cmd, **kw):
    """Wall seconds and the children's CPU seconds of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if r.returncode:
        sys.exit(f"breakdown.py: {cmd[0]} failed ({r.returncode}): {r.stderr[-2000:]}")
    return wall, cpu, r.stderr


def fold_perf_script(text):
    """perf script's stacks, folded: one line per stack, outermost first."""
    counts, frames, comm = {}, [], None
    for line in text.splitlines():
        if not line.strip():
            if comm is not None and frames:
                key = ";".join([comm] + frames[::-1])
                counts[key] = counts.get(key, 0) + 1
            frames, comm = [], None
        elif not line.startswith(("\t", " ")):
            comm = line.split()[0]
        else:
            parts = line.split(None, 1)
            sym = parts[1].rsplit(" (", 1)[0] if len(parts) > 1 else "[unknown]"
            frames.append(sym.split("+0x")[0])
    return "".join(f"{k} {v}\n" for k, v in counts.items())


def perf_job(cmd, d):
    data, folded, svg = (os.path.join(d, x) for x in ("perf.data", "perf.folded", "perf.svg"))
    subprocess.run(["perf", "record", "-q", "-g", "-o", data, "--"] + cmd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True,
                            check=True).stdout
    with open(folded, "w") as f:
        f.write(fold_perf_script(script))
    with open(svg, "w") as out:
        subprocess.run([phaseprof, "flamegraph", folded], check=True, stdout=out,
                       stderr=subprocess.DEVNULL)


def target_times(d):
    """The runtime's CPU time (user + system) and its own wall time, exec to exit, as
    phaseprof measured them, in seconds."""
    doc = json.load(open(os.path.join(d, "phases.json")))
    ru = doc.get("rusage", {})
    return (ru.get("user_ns", 0) + ru.get("system_ns", 0)) / 1e9, doc.get("wall_ns", 0) / 1e9


def steps_of(stderr):
    steps, progs, last, last_cpu = [], {}, 0.0, 0.0
    for line in stderr.splitlines():
        m = STEP.match(line)
        if m:
            t, cpu = float(m.group(1)), float(m.group(2))
            steps.append((m.group(3), (t - last, cpu - last_cpu)))
            last, last_cpu = t, cpu
        m = VERIFIED.search(line)
        if m:
            progs[m.group(1)] = int(m.group(2))
    return steps, progs


def load():
    return "load %.2f %.2f %.2f" % os.getloadavg()


def bench(name, bare_cmd, pp_args, n):
    modes = {"-F 0": ["-F", "0"], "fp": ["--call-graph", "fp"], "default": []}
    res = {k: [] for k in ["bare", "perf"] + list(modes)}
    cpu = {k: [] for k in ["bare"] + list(modes)}
    outside = {k: [] for k in modes}  # phaseprof's wall minus the runtime's exec-to-exit
    steps = {k: {} for k in modes}
    progs = {}
    have_perf = shutil.which("perf") is not None
    timed(bare_cmd)  # the page cache
    print(f"\n{name}: {' '.join(os.path.basename(a) for a in bare_cmd)}; {n} interleaved rounds; {load()}")
    for _ in range(n):
        w, c, _ = timed(bare_cmd)
        res["bare"].append(w)
        cpu["bare"].append(c)
        for mode, extra in modes.items():
            with tempfile.TemporaryDirectory(prefix="ppbench.") as d:
                w, _, err = timed([phaseprof, "-v", "-o", d] + extra + pp_args)
                target_cpu, target_wall = target_times(d)
                res[mode].append(w)
                cpu[mode].append(target_cpu)
                outside[mode].append(w - target_wall)
            s, p = steps_of(err)
            progs[mode] = p
            for label, ms in s:
                steps[mode].setdefault(label, []).append(ms)
        if have_perf:
            with tempfile.TemporaryDirectory(prefix="ppbench.") as d:
                t = time.monotonic()
                perf_job(bare_cmd, d)
                res["perf"].append(time.monotonic() - t)
    med = {k: statistics.median(v) for k, v in res.items() if v}
    cmed = {k: statistics.median(v) for k, v in cpu.items() if v}
    print(f"  wall, median ({load()}):")
    for k, v in med.items():
        extra = f", fixed cost {(v - med['bare']) * 1e3:7.1f} ms" if k in modes else ""
        print(f"    {k:8s} {v * 1e3:8.1f} ms  {v / med['bare']:5.2f}x bare{extra}")
    print("  phaseprof's own time, outside the runtime's exec-to-exit (the fixed cost without the"
          " runtime's run-to-run noise), median:")
    for k, v in outside.items():
        print(f"    {k:8s} {statistics.median(v) * 1e3:8.1f} ms")
    print(f"  target CPU, median (user+system; {load()}):")
    for k, v in cmed.items():
        growth = f"  {(v / cmed['bare'] - 1) * 100:+5.1f}%" if k != "bare" else ""
        print(f"    {k:8s} {v * 1e3:8.1f} ms{growth}")
    for mode in modes:
        print(f"  phaseprof {mode} steps (-v), median ms: wall, phaseprof's CPU (all threads):")
        for label, v in steps[mode].items():
            print(f"    {statistics.median(x[0] for x in v):8.2f} {statistics.median(x[1] for x in v):8.2f}"
                  f"  {label}")
        print("    BPF programs loaded, instructions verified: " +
              ", ".join(f"{k} {v}" for k, v in progs[mode].items()) +
              f"; total {sum(progs[mode].values())} in {len(progs[mode])} programs")


def main():
    args = sys.argv[1:]
    n = 5
    if args[:1] == ["-n"]:
        n, args = int(args[1]), args[2:]
    w = workloads()
    for name in args or list(w):
        if name not in w:
            sys.exit(f"breakdown.py: no workload '{name}' here (have: {', '.join(w)})")
        bench(name, *w[name], n)


if __name__ == "__main__":
    main()
