"""ppclock.py: phasetest's own clock as the ground truth of timing checks.
With PHASETEST_CLOCK=FILE, phasetest times each phase function's call itself
(wall and process CPU time around the call) in the very run phaseprof measures; a
loaded machine stretches both alike, so the two can be compared tightly where
two separate runs, or a fixed expectation, cannot."""
import os
import pp


def read_clock(path):
    """{phase: (wall_ns, cpu_ns)} from a PHASETEST_CLOCK file, summed per phase."""
    own = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                name, wall, cpu = line.split()
                w, c = own.get(name, (0, 0))
                own[name] = (w + int(wall), c + int(cpu))
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


# phaseprof's bracket is the probe on the function's entry and return; phasetest's
# is a clock read just outside the call. They differ by the probes' own cost (µs)
# and by a preemption that falls between the two (rare, a scheduler slice).
SLACK_NS = 2_000_000
SLACK_REL = 0.02
# CPU time: phaseprof adds up on-CPU spans from scheduler events, the kernel's
# process clock its own accounting; they differ by a few context switches
CPU_SLACK_NS = 3_000_000
CPU_SLACK_REL = 0.05


def agree(measured, own):
    return abs(measured - own) <= SLACK_REL * own + SLACK_NS


def agree_cpu(measured, own):
    return abs(measured - own) <= CPU_SLACK_REL * own + CPU_SLACK_NS


def disagreements(ph, own):
    """{phase: (what, phaseprof ns, phasetest ns)} where the two clocks disagree."""
    bad = {}
    for n, (wall, cpu) in own.items():
        if not agree(ph[n]["wall_ns"], wall):
            bad[n] = ("wall", ph[n]["wall_ns"], wall)
        elif not agree_cpu(ph[n]["cpu_ns"], cpu):
            bad[n] = ("cpu", ph[n]["cpu_ns"], cpu)
    return bad


def check_against_clock(args, steps, what, tries=3):
    """Each phase phasetest timed agrees with phaseprof's wall_ns, in one of up
    to `tries` runs (a run fails only by an unlucky preemption). Returns the
    last run's phases and phasetest's clock."""
    for i in range(tries):
        r, ph, own = record(args, steps)
        if not pp.check(r.returncode == 0 and ph, f"{what}: {r.returncode} {r.stderr}"):
            return None
        bad = disagreements(ph, own)
        for n, (wall, cpu) in own.items():
            print(f"  {what} run {i + 1}: {n:12s} wall/cpu ms: phaseprof "
                  f"{ph[n]['wall_ns'] / 1e6:8.3f} {ph[n]['cpu_ns'] / 1e6:8.3f}, phasetest "
                  f"{wall / 1e6:8.3f} {cpu / 1e6:8.3f}")
        if not bad:
            break
    pp.check(own and not bad, f"{what}: phaseprof vs phasetest's own clock (ns): {bad}")
    return ph, own
