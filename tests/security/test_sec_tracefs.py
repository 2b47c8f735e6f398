"""Finding 5: a path with '#' (or ':') truncated the tracefs uprobe line, so
`-x '/home/u/a:0x10#/phasetest'` put a uprobe at an offset of the user's
choice into another binary (/home/u/a), past every check, and `probes remove`
could not delete it. Now a path tracefs cannot hold as is is refused, with the
reason, and what tracefs holds is read back and compared."""
import os
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402
import pputil_probes as up  # noqa: E402

uid, gid = su.need_user()
up.need_tracefs()
exe, probes = su.public_phasetest("ppsec_hash")
h = su.home(uid, gid)
victim = su.copy_as_user(exe, os.path.join(h, "a"), uid, gid)
trick = su.user_path(uid, gid, os.path.join(h, "a:0x10#"))
target = su.copy_as_user(exe, os.path.join(trick, "phasetest"), uid, gid)
env = dict(up.private_env(), PHASEPROF_PROBE_PATH=probes)


def on_victim():
    return {k: v for k, v in up.uprobe_events().items() if v.split(" ")[1].startswith(victim + ":")}


up.delete_group("probe_ppsec_hash")
r = su.phaseprof_sudo(["probes", "install", "-x", target], uid, gid, env=env)
pp.check(not on_victim(), f"a uprobe landed in {victim}: {on_victim()}")
pp.check(r.returncode != 0 and "cannot safely name" in r.stderr,
         f"probes install refuses the path with a reason: {r.returncode} {r.stderr}")
up.delete_group("probe_ppsec_hash")
for k in on_victim():  # the old behaviour's leftovers, so reruns start clean
    up.write_uprobe_events("-:" + k.replace(":", "/", 1))

r = su.phaseprof_sudo(["record", "--backend", "perf", "-x", target, "--", "load=1"], uid, gid,
                      env=env)
pp.check(r.returncode != 0 and "cannot safely name" in r.stderr,
         f"record --backend perf refuses the path: {r.returncode} {r.stderr[-400:]}")
pp.check(not on_victim(), f"a uprobe landed in {victim}: {on_victim()}")
# the BPF backend names the file by descriptor, not by a line of text: it works
r = su.phaseprof_sudo(["record", "--backend", "bpf", "-x", target, "--", "load=1"], uid, gid,
                      env=env)
pp.check(r.returncode == 0, f"record --backend bpf: {r.returncode} {r.stderr[-400:]}")
pp.done()
