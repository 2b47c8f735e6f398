"""Clear errors from probes and the perf backend: tracefs missing and not
mountable (PHASEPROF_TRACEFS names a place where tracefs cannot be mounted),
and uprobe_events not writable (a read-only bind mount of tracefs)."""
import os
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
pp.phaseprof(["probes", "remove", "-x", pp.PHASETEST], env=env)
pp.done()
