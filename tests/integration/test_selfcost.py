"""test_selfcost.py: every run reports phaseprof's own cost (samples, events,
its BPF programs' run time from the kernel's statistics, as a share of the
runtime's CPU), in the table and in phases.json, and they agree; the
warning appears exactly when the share is above 5%; -F above the cap is a
usage error with a reason, before any runtime starts."""

import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402


def check_run(args, what):
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", pp.PHASETEST, "-o", out] + args)
    if not pp.check(r.returncode == 0, f"{what}: exit {r.returncode}: {r.stderr}"):
        return None
    doc = pp.load_json(os.path.join(out, "phases.json"))
    shutil.rmtree(out, ignore_errors=True)
    c = doc.get("profiler")
    if not pp.check(c is not None, f"{what}: phases.json has profiler"):
        return None
    samples = doc["samples"]["total"] if "samples" in doc else 0
    pp.check(c["samples"] == samples, f"{what}: profiler samples {c['samples']} = {samples}")
    pp.check(c["events"] == doc["events"], f"{what}: events {c['events']} = {doc['events']}")
    pp.check(c["run_cpu_ns"] == doc["cpu_ns"], f"{what}: the share's base is the run's CPU")
    pp.check(c["bpf_run_ns"] > 0 and c["bpf_runs"] > 0, f"{what}: BPF time measured: {c}")
    # every sample and every event is one program run at least
    pp.check(c["bpf_runs"] >= c["samples"] + c["events"] // 2, f"{what}: runs {c}")
    pp.near(c["bpf_cpu_share"], c["bpf_run_ns"] / c["run_cpu_ns"], 1e-5, f"{what}: share")
    m = re.search(r"cost: (\d+) stack samples, (\d+) events; BPF programs ran ([\d.]+) ms, "
                  r"([\d.]+)% of the runtime's ([\d.]+) ms CPU", r.stderr)
    if pp.check(m is not None, f"{what}: cost line in the table: {r.stderr}"):
        pp.check(int(m.group(1)) == c["samples"] and int(m.group(2)) == c["events"],
                 f"{what}: table and json agree on counts")
        pp.near(float(m.group(3)), c["bpf_run_ns"] / 1e6, 0.006, f"{what}: BPF ms")
        pp.near(float(m.group(4)), 100 * c["bpf_cpu_share"], 0.051, f"{what}: percent")
    warned = "warning: phaseprof's BPF programs took" in r.stderr
    pp.check(warned == (c["bpf_cpu_share"] > 0.05),
             f"{what}: warns exactly above 5% (share {c['bpf_cpu_share']:.4f}, warned {warned})")
    return c


def main():
    pp.need_root()
    r = pp.phaseprof(["-x", pp.PHASETEST, "-F", "100000", "--", "print=ran"])
    pp.check(r.returncode == 64, f"-F 100000 is a usage error: {r.returncode}")
    pp.check("10000" in r.stderr and "cost" in r.stderr, f"says the cap and why: {r.stderr}")
    pp.check("ran" not in r.stdout, "the runtime never started")
    r = pp.phaseprof(["-x", pp.PHASETEST, "-F", "10001", "--", "print=ran"])
    pp.check(r.returncode == 64, f"-F 10001 is refused: {r.returncode}")

    steps = ["--", "load=20", "execute=150:busy"]
    low = check_run(["-F", "99"] + steps, "99 Hz")
    high = check_run(["-F", "5000", "--call-graph", "dwarf"] + steps, "5000 Hz dwarf")
    if low and high:
        # fifty times the samples, each with a stack copy: the programs ran longer
        pp.check(high["bpf_run_ns"] > low["bpf_run_ns"],
                 f"more samples cost more: {high['bpf_run_ns']} > {low['bpf_run_ns']}")
        pp.check(high["samples"] > 10 * low["samples"], f"samples {high['samples']} vs {low['samples']}")
    check_run(["-F", "0"] + steps, "no sampling")
    pp.done()


if __name__ == "__main__":
    main()
