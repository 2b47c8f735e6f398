"""ppclock.py: phasetest's own clock as the ground truth of timing checks.
With PHASETEST_CLOCK=FILE, phasetest times each phase function's call itself
(wall and process CPU time around the call) in the very run phaseprof measures; a
loaded machine stretches both alike, so the two can be compared tightly where
two separate runs, or a fixed expectation, cannot."""
import os
import pp


def read_clock(path):
    """{phase: (out_wall, out_cpu, in_wall, in_cpu)} in ns from a PHASETEST_CLOCK
    file, summed per phase: each call timed around it (out) and inside it (in)."""
    own = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                name, *vals = line.split()
                old = own.get(name, (0, 0, 0, 0))
                own[name] = tuple(a + int(b) for a, b in zip(old, vals))
    return own


def record(args, steps, runtime=None):
    """Run phaseprof record on phasetest; (CompletedProcess, phases by name or None,
    phasetest's own {phase: (wall_ns, cpu_ns)})."""
    out = pp.tmpdir()
    clock = os.path.join(out, "phasetest.clock")
    r = pp.phaseprof(["record", "-o", out] + list(args) + ["-x", runtime or pp.PHASETEST, "--"]
                     + list(steps), env={"PHASETEST_CLOCK": clock})
    own = read_clock(clock)
    path = os.path.join(out, "phases.json")
    doc = pp.load_json(path) if os.path.exists(path) else None
    phases = {p["name"]: p for p in doc["phases"]} | {"": doc} if doc else None
    return r, phases, own


# phaseprof's bracket is the probe on the function's entry and its return:
# between phasetest's inside and outside clock reads, whatever the scheduler
# does (a preemption right after a probe's trap lands between them too). The
# slack covers only the clocks' own reading (timestamps taken a few
# instructions apart).
SLACK_NS = 200_000
SLACK_REL = 0.005
# CPU time: phaseprof adds up on-CPU spans from scheduler events, the kernel's
# process clock its own accounting; they differ by a few context switches
CPU_SLACK_NS = 3_000_000
CPU_SLACK_REL = 0.05


def agree(measured, own):
    """measured wall ns within phasetest's (out_wall, out_cpu, in_wall, in_cpu)."""
    out, inside = own[0], own[2]
    return inside * (1 - SLACK_REL) - SLACK_NS <= measured <= out * (1 + SLACK_REL) + SLACK_NS


def agree_cpu(measured, own):
    out, inside = own[1], own[3]
    return (inside * (1 - CPU_SLACK_REL) - CPU_SLACK_NS <= measured
            <= out * (1 + CPU_SLACK_REL) + CPU_SLACK_NS)


def disagreements(ph, own):
    """{phase: (what, phaseprof ns, phasetest's clock)} where they disagree."""
    bad = {}
    for n, t in own.items():
        if not agree(ph[n]["wall_ns"], t):
            bad[n] = ("wall", ph[n]["wall_ns"], t)
        elif not agree_cpu(ph[n]["cpu_ns"], t):
            bad[n] = ("cpu", ph[n]["cpu_ns"], t)
    return bad


def check_against_clock(args, steps, what, tries=3):
    """Each phase phasetest timed agrees with phaseprof's wall and CPU time, in
    one of up to `tries` runs (CPU accounting may differ by a context switch
    or two). Returns the last run's phases and phasetest's clock."""
    for i in range(tries):
        r, ph, own = record(args, steps)
        if not pp.check(r.returncode == 0 and ph, f"{what}: {r.returncode} {r.stderr}"):
            return None
        bad = disagreements(ph, own)
        for n, (ow, oc, iw, ic) in own.items():
            print(f"  {what} run {i + 1}: {n:12s} wall/cpu ms: phaseprof "
                  f"{ph[n]['wall_ns'] / 1e6:8.3f} {ph[n]['cpu_ns'] / 1e6:8.3f}, phasetest "
                  f"inside {iw / 1e6:8.3f} {ic / 1e6:8.3f} outside {ow / 1e6:8.3f} {oc / 1e6:8.3f}")
        if not bad:
            break
    pp.check(own and not bad, f"{what}: phaseprof vs phasetest's own clock (ns): {bad}")
    return ph, own
