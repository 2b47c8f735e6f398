"""After phaseprof exits (normally, on Ctrl-C, when killed, or after the
target crashed), no BPF link, program or map of its run remains, nor a
uprobe event or process of it. Each run's objects are found by identity
(pprun.py), never by name: others run phaseprof on this machine too."""
import os
import re
import signal
import pp
import pprun

pp.need_root()


def our_program_names():
    """Every program of bpf/phaseprof.bpf.c, as bpftool shows them (15 characters)."""
    with open(os.path.join(pp.SOURCE_DIR, "bpf", "phaseprof.bpf.c")) as f:
        text = f.read()
    names = re.findall(r"^int BPF_\w+\((\w+)", text, re.M)
    names += re.findall(r"^int (\w+)\(struct bpf_perf_event_data", text, re.M)
    return {n[:15] for n in names}


OUR_PROGS = our_program_names()


def check_clean(run, what, killed=False):
    if killed:
        pprun.wait_dead(run.pids)
        pprun.next_start()
    left = pprun.leftovers(run)
    pp.check(not left, f"{what}: left behind: {left}")
    pp.check(run.bpf["link_id"] or what == "unwritable output",
             f"{what}: the run's links were seen (the check has teeth)")


def start(args, **kw):
    run = pprun.Run(["-v", "-x", pp.PHASETEST, "--"] + args, **kw)
    return run


def finished(args, **kw):
    run = start(args, **kw)
    run.wait_for("probes armed", timeout=30)
    run.snapshot()
    return run.finish()


def wait_running(run):
    # the target is up once it prints; phaseprof has armed it by then
    pp.check(run.wait_for("target-is-up", timeout=30), "the target started")
    run.snapshot()
    pp.check(run.p.poll() is None, "phaseprof still running")


pp.check({"pp_site_hit", "pp_exec", "pp_switch", "pp_sample", "pp_sample_dwarf", "pp_fb_enter"}
         <= OUR_PROGS, f"program names found: {sorted(OUR_PROGS)}")

# long enough for the watcher to see its links (a reused program cache arms in a few ms)
r = finished(["load=150"])
pp.check(r.returncode == 0, f"normal run: {r.stderr}")
check_clean(r, "after a normal run")

r = pprun.Run(["-v", "-x", pp.PHASETEST, "--generic", "--call-graph", "fp", "--", "load=150"])
r.wait_for("probes armed", timeout=30)
r.snapshot()
r.finish()
pp.check(r.returncode == 0, f"generic fallback run: {r.stderr}")
check_clean(r, "after a run with the generic fallback and fp stacks")

r = finished(["load=150", "crash=11"])
pp.check(r.returncode == 139, f"crashed target: {r.returncode}")
check_clean(r, "after the target crashed")

# Ctrl-C: the terminal signals the whole foreground process group
p = start(["load=5", "print=target-is-up", "execute=20000"], new_session=True)
wait_running(p)
os.killpg(p.pid, signal.SIGINT)
p.finish()
err = p.stderr
pp.check(p.returncode == 130, f"Ctrl-C: exit {p.returncode}, want 130\n{err}")
pp.check("killed by signal 2" in err and "execute" in err, f"Ctrl-C: report written\n{err}")
check_clean(p, "after Ctrl-C")

# SIGTERM to phaseprof alone is forwarded to the runtime
p = start(["load=5", "print=target-is-up", "execute=20000"])
wait_running(p)
p.p.send_signal(signal.SIGTERM)
p.finish()
err = p.stderr
pp.check(p.returncode == 143, f"SIGTERM forwarded: exit {p.returncode}\n{err}")
check_clean(p, "after SIGTERM")

# phaseprof killed outright: the kernel drops its links with its file descriptors,
# and the runtime dies with phaseprof (PR_SET_PDEATHSIG)
p = start(["load=5", "print=target-is-up", "execute=20000"])
wait_running(p)
p.kill()
p.finish()
check_clean(p, "after SIGKILL of phaseprof", killed=True)

# the output directory cannot be made: said before the runtime runs (no run is lost), clean
r = pprun.Run(["-x", pp.PHASETEST, "-o", "/proc/version/x", "--", "load=5"]).finish()
pp.check(r.returncode == 125, f"unwritable output: exit {r.returncode}")
pp.check("cannot use '/proc/version/x' for output" in r.stderr, f"says why: {r.stderr}")
pp.check("load" not in r.stderr, f"failed before the run, no table: {r.stderr}")
check_clean(r, "unwritable output")
pp.done()
