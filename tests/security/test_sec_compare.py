"""Findings 1 and 2: compare -o in a directory the user prepared.
1. run-0.stdout planted as a symlink to a root-owned path: compare must not
   write through it (it did, as root: a root-owned file of the user's content).
2. run-0 planted as a symlink to a folder whose stacks.folded links to a
   root-only file: compare must not copy that file into DIR/phasetest.folded."""
import os
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402

uid, gid = su.need_user()
exe, probes = su.public_phasetest()
env = {"PHASEPROF_PROBE_PATH": probes}
h = su.home(uid, gid)
victim = os.path.join(su.secret(), "..", "written-by-compare")
victim = os.path.normpath(victim)

# 1: a symlink where a run's stdout goes
cmp1 = su.user_path(uid, gid, os.path.join(h, "cmp1"))
su.user_path(uid, gid, os.path.join(cmp1, "phasetest"))
su.user_path(uid, gid, os.path.join(cmp1, "phasetest", "run-0.stdout"), "link", victim)
r = su.phaseprof_sudo(["compare", "-x", exe, "-n", "1", "--warmup", "0", "-o", cmp1, "--",
                       "load=1"], uid, gid, env=env)
pp.check(not os.path.lexists(victim), f"compare wrote through a planted symlink: {victim}")
pp.check(r.returncode != 0 and "run-0.stdout" not in r.stdout,
         f"compare says it cannot use the run file: {r.returncode} {r.stderr}")

# 2: the last run's folder is a symlink to a place whose stacks.folded is a root-only file
cmp2 = su.user_path(uid, gid, os.path.join(h, "cmp2"))
su.user_path(uid, gid, os.path.join(cmp2, "phasetest"))
evil = su.user_path(uid, gid, os.path.join(h, "evil"))
su.user_path(uid, gid, os.path.join(evil, "stacks.folded"), "link", su.secret())
su.user_path(uid, gid, os.path.join(cmp2, "phasetest", "run-0"), "link", evil)
r = su.phaseprof_sudo(["compare", "-x", exe, "-n", "1", "--warmup", "0", "-o", cmp2, "--",
                       "load=1"], uid, gid, env=env)
leaked = []
for d, _, files in os.walk(cmp2):
    for f in files:
        p = os.path.join(d, f)
        if not os.path.islink(p):
            with open(p, errors="replace") as fh:
                if su.MARKER in fh.read():
                    leaked.append(p)
pp.check(not leaked, f"a root-only file was copied into the user's folder: {leaked}")

# a clean compare under sudo: everything it made belongs to the user
cmp3 = os.path.join(h, "cmp3", "deep")
r = su.phaseprof_sudo(["compare", "-x", exe, "-n", "2", "--warmup", "0", "-o", cmp3, "--",
                       "load=1"], uid, gid, env=env)
pp.check(r.returncode == 0, f"compare under sudo: {r.returncode} {r.stderr}")
pp.check(os.path.exists(os.path.join(cmp3, "compare.json")), "compare.json written")
pp.check(not su.root_owned_in(os.path.join(h, "cmp3")),
         f"root-owned files in the user's folder: {su.root_owned_in(os.path.join(h, 'cmp3'))}")
# reused with fewer runs: the second run's folder of the earlier compare is gone
r = su.phaseprof_sudo(["compare", "-x", exe, "-n", "1", "--warmup", "0", "-o", cmp3, "--",
                       "load=1"], uid, gid, env=env)
pp.check(r.returncode == 0, f"compare again: {r.returncode} {r.stderr}")
rt = os.path.join(cmp3, "phasetest")
left = sorted(os.listdir(rt)) if os.path.isdir(rt) else None
pp.check(left == ["run-0", "run-0.stderr", "run-0.stdout"], f"stale run folders removed: {left}")
pp.done()
