"""The fault matrix: phaseprof killed with SIGKILL at each stage (before
arming, after arming, mid-run under both backends and on node, during the
report, during detach), and runs where the target misbehaves (crashes, forks
200 children, execs another program, has its binary deleted) or the output
cannot be written (a full file system). After each: no process of the run
alive, no BPF link, program or map it held, no tracefs group of its own, no
perf map of its processes; for a killed run, once the next run has started
(which cleans what a killed run cannot, and names it). A run that was not
killed ends with a clear message and a documented exit status.

Only this test's own runs are looked at (pprun.py): others run phaseprof on
this machine at the same time."""
import os
import shutil
import subprocess
import pp
import pprun

pp.need_root()
if not os.path.exists(pprun.BPFTOOL):
    pp.skip("bpftool is not installed")
if not os.path.exists(os.path.join(pprun.TRACEFS, "uprobe_events")):
    pp.run(["mount", "-t", "tracefs", "nodev", pprun.TRACEFS])

LONG = ["load=20", "print=started", "execute=4000:busy"]
SHORT = ["load=20", "compile=20:busy:2", "execute=200:busy"]


def clean(run, what, killed):
    """Nothing of the run remains (for a killed one: after the next start)."""
    swept = ""
    if killed:
        # the runtime dies with phaseprof: wait for that, then start the next run
        pprun.wait_dead(run.pids)
        before = pprun.leftovers(run, settle=0)
        swept = pprun.next_start()
        # what was there is named by the next run (others' runs may sweep it first)
        for thing in [before.get("tracefs group")] + before.get("perf maps", []):
            if thing:
                pp.check(thing in swept and "left by a killed run" in swept,
                         f"{what}: the next run names {thing} it removed: {swept[-600:]}")
    left = pprun.leftovers(run)
    pp.check(not left, f"{what}: left behind: {left}")
    return swept


def kill_at(marker, args, what, env=None, late=False):
    """SIGKILL phaseprof as soon as it prints marker. late: the marker comes so
    near the end that phaseprof may finish first, which is no failure."""
    run = pprun.Run(["record", "-v"] + args, env=env)
    reached = run.wait_for(marker)
    run.kill()
    run.finish()
    pp.check(reached, f"{what}: reached '{marker}' before the kill: {run.stderr[-800:]}")
    if run.returncode == 0 and late:
        print(f"note: {what}: phaseprof finished before the kill landed")
    else:
        pp.check(run.returncode == -9, f"{what}: phaseprof was killed: {run.returncode}")
    print(f"{what}: pids {len(run.pids)}, bpf ids held " + ", ".join(f"{k} {len(v)}" for k, v in run.bpf.items()))
    return run, clean(run, what, killed=True)


def record(args, what, env=None):
    out = None
    if "-o" not in args:
        out = pp.tmpdir()
        args = ["-o", out] + args
    run = pprun.Run(["record", "-v"] + args, env=env)
    run.wait_for("probes armed")
    run.snapshot()
    run.finish()
    # every process the run followed, short-lived ones too, from its report
    if out and os.path.exists(os.path.join(out, "phases.json")):
        run.pids |= {t["pid"] for t in pp.load_json(os.path.join(out, "phases.json"))["threads"]}
    print(f"{what}: pids {len(run.pids)}, bpf ids held " + ", ".join(f"{k} {len(v)}" for k, v in run.bpf.items()))
    pp.check(run.bpf["link_id"], f"{what}: the run's BPF links were seen (the check has teeth)")
    clean(run, what, killed=False)
    return run


# ---- SIGKILL at each stage ----
pt = ["-x", pp.PHASETEST, "--"]
kill_at("runtime and profile found", pt + LONG, "killed before arming")
kill_at("probes armed", pt + LONG, "killed after arming")
kill_at("started", pt + LONG, "killed mid-run")
kill_at("runtime exited, phases computed", ["-F", "4999"] + pt + SHORT, "killed during the report",
        late=True)
kill_at("stacks folded", ["-F", "4999"] + pt + SHORT, "killed during detach", late=True)

# the perf backend leaves a tracefs group the next run deletes, and says so
run, swept = kill_at("started", ["--backend", "perf"] + pt + LONG, "perf backend killed mid-run")
pp.check(run.group_seen, "perf backend: the run had its own tracefs group")

# node writes a perf map because the profile asks it to: the next run removes it
node = shutil.which("node")
if node and os.path.exists(pp.EXAMPLE_WASM):
    run = pprun.Run(["record", "-v", "-x", "node", "--", pp.EXAMPLE_WASM, "45"])
    run.wait_for("probes armed")
    run.wait_for("never", timeout=3)  # node compiles and runs fib(45) for seconds
    maps = [f"/tmp/perf-{p}.map" for p in pprun.tree(run.pid) if
            os.path.exists(f"/tmp/perf-{p}.map")]
    run.kill()
    run.finish()
    clean(run, "node killed mid-run", killed=True)
    pp.check(maps, "node wrote its perf map")
else:
    print("note: node or the example module missing; the perf-map case not run")

# ---- the target misbehaves ----
run = record(pt + ["load=10", "crash=11"], "target crashes")
pp.check(run.returncode == 139 and "killed by signal 11" in run.stderr,
         f"a crash is reported and passed on (128+11): {run.returncode} {run.stderr[-500:]}")

run = record(pt + ["load=10", "fork=200", "execute=20"], "target forks 200 children")
pp.check(run.returncode == 0 and "201 processes" in run.stderr,
         f"200 children followed: {run.returncode} {run.stderr[-500:]}")

run = record(pt + ["load=10", "exec", "/bin/true"], "target execs another program")
pp.check(run.returncode == 0, f"exec: {run.returncode} {run.stderr[-500:]}")

tmp = pp.tmpdir()
os.chmod(tmp, 0o755)
doomed = os.path.join(tmp, "phasetest")
shutil.copy(pp.PHASETEST, doomed)
run = pprun.Run(["record", "-v", "-x", doomed, "--", "load=10", "print=started", "execute=800:busy"])
run.wait_for("started")
os.unlink(doomed)
run.finish()
clean(run, "runtime binary deleted", killed=False)
pp.check(run.returncode == 0 and "execute" in run.stderr,
         f"binary deleted while it runs: {run.returncode} {run.stderr[-500:]}")

# ---- the output's file system is full ----
mnt = pp.tmpdir()
m = pp.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt])
if m.returncode:
    print(f"note: cannot mount a tmpfs ({m.stderr.strip()}); full-disk case not run")
else:
    try:
        filler = os.path.join(mnt, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k", "count=64"],
                       capture_output=True)
        out = os.path.join(mnt, "out")
        os.mkdir(out)
        run = record(["-o", out] + pt + SHORT, "output on a full file system")
        pp.check(run.returncode == 125 and "No space left on device" in run.stderr,
                 f"full disk: exit 125 and why: {run.returncode} {run.stderr[-600:]}")
        pp.check(all(not n.startswith(".") for n in os.listdir(out)),
                 f"no temporary files left: {os.listdir(out)}")
    finally:
        pp.run(["umount", mnt])
pp.done()
