"""Clear errors from probes and the perf backend: tracefs missing and not
mountable (PHASEPROF_TRACEFS names a place where tracefs cannot be mounted),
and uprobe_events not writable (a read-only bind mount of tracefs); `probes
list` without root exits 77; `probes remove` while a perf record still holds
the events waits for it rather than failing "in use"."""
import os
import shutil
import subprocess
import pp
import pputil_probes as up

up.need_tracefs()
env = up.private_env()
steps = ["load=5", "execute=5"]

env_missing = dict(env, PHASEPROF_TRACEFS="/nonexistent/tracing")
r = pp.phaseprof(["probes", "install", "-x", pp.PHASETEST], env=env_missing)
pp.check(r.returncode == 125, f"tracefs missing: exit {r.returncode}")
pp.check("cannot mount tracefs on /nonexistent/tracing: No such file or directory; mount it by hand"
         in r.stderr, f"tracefs missing: {r.stderr}")
r = pp.phaseprof(["record", "--backend", "perf", "-x", pp.PHASETEST, "--"] + steps, env=env_missing)
pp.check(r.returncode == 125 and "cannot use the perf backend: cannot mount tracefs" in r.stderr,
         f"record, tracefs missing: {r.returncode} {r.stderr}")

ro = pp.tmpdir()
m = pp.run(["mount", "--bind", up.TRACEFS, ro])
m2 = pp.run(["mount", "-o", "remount,bind,ro", ro])
if m.returncode or m2.returncode:
    print(f"note: no read-only bind mount here ({m.stderr}{m2.stderr}); case not tested")
else:
    try:
        env_ro = dict(env, PHASEPROF_TRACEFS=ro)
        r = pp.phaseprof(["probes", "install", "-x", pp.PHASETEST], env=env_ro)
        pp.check(r.returncode == 125, f"read-only: exit {r.returncode}")
        pp.check(f"cannot create uprobe event probe_phasetest:load_enter" in r.stderr and
                 f"in {ro}/uprobe_events: Read-only file system; uprobe events need root" in r.stderr,
                 f"read-only: {r.stderr}")
        r = pp.phaseprof(["record", "--backend", "perf", "-x", pp.PHASETEST, "--"] + steps,
                         env=env_ro)
        pp.check(r.returncode == 125 and "Read-only file system" in r.stderr,
                 f"record, read-only: {r.returncode} {r.stderr}")
        pp.check(not up.group_events("probe_phasetest"), "nothing made")
    finally:
        pp.run(["umount", ro])
# without root: 77 (no privilege), as every verb that needs root
r = pp.run(["runuser", "-u", "nobody", "--", pp.PHASEPROF, "probes", "list"],
           env=dict(os.environ, **env))
pp.check(r.returncode == 77 and "run it with sudo" in r.stderr,
         f"list as nobody: {r.returncode} {r.stderr}")

# remove while perf record has the events open: retried until perf lets go
perf = shutil.which("perf")
if not perf:
    print("note: perf is not installed; remove-while-busy not tested")
else:
    r = pp.phaseprof(["probes", "install", "-x", pp.PHASETEST], env=env)
    pp.check(r.returncode == 0, f"install: {r.stderr}")
    data = os.path.join(pp.tmpdir(), "perf.data")
    # the workload prints once perf has opened every event, then holds them 300 ms
    rec = subprocess.Popen([perf, "record", "-q", "-o", data, "-e", "probe_phasetest:*", "--",
                            pp.PHASETEST, "print=ready", "idle=300"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = rec.stdout.readline().strip() == "ready"
    r = pp.phaseprof(["probes", "remove", "-x", pp.PHASETEST], env=env)
    rec.communicate(timeout=60)
    pp.check(ready, "perf record started its workload")
    pp.check(r.returncode == 0 and "in use" not in r.stderr,
             f"remove while busy: {r.returncode} {r.stderr}")
    pp.check(not up.group_events("probe_phasetest"), "every event removed")
pp.phaseprof(["probes", "remove", "-x", pp.PHASETEST], env=env)
pp.done()
