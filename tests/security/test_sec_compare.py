"""Findings 1 and 2: compare -o in a directory the user prepared. compare runs
through the suite runner: a run's folder is DIR/runs/bN/CASE/RT/run-K, with
its stdout and stderr inside (the case: the app's name, here load_1).
1. a run's stdout planted as a symlink to a root-owned path: compare must not
   write through it (it did, as root: a root-owned file of the user's content);
   planted as a FIFO, compare must not hang on it.
2. the run folder planted as a symlink to a folder whose stacks.folded links
   to a root-only file: compare must not copy that file into DIR/phasetest.folded."""
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
def run_folder(top, k=0):
    """DIR/runs/b1/load_1/phasetest/run-K, made as the user, level by level."""
    path = top
    for part in ("runs", "b1", "load_1", "phasetest"):
        path = su.user_path(uid, gid, os.path.join(path, part))
    return os.path.join(path, f"run-{k}")


cmp1 = su.user_path(uid, gid, os.path.join(h, "cmp1"))
run0 = su.user_path(uid, gid, run_folder(cmp1))
su.user_path(uid, gid, os.path.join(run0, "stdout"), "link", victim)
r = su.phaseprof_sudo(["compare", "-x", exe, "-n", "1", "--warmup", "0", "-o", cmp1, "--",
                       "load=1"], uid, gid, env=env)
pp.check(not os.path.lexists(victim), f"compare wrote through a planted symlink: {victim}")
pp.check(r.returncode != 0 and "excluded: phasetest: record failed" in r.stdout,
         f"compare says the run failed: {r.returncode} {r.stdout} {r.stderr}")

# 1b: a FIFO where a run's stdout goes: the run fails, nothing waits for a reader
cmp1b = su.user_path(uid, gid, os.path.join(h, "cmp1b"))
run0 = su.user_path(uid, gid, run_folder(cmp1b))
os.mkfifo(os.path.join(run0, "stdout"))
os.chown(os.path.join(run0, "stdout"), uid, gid)
r = su.phaseprof_sudo(["compare", "-x", exe, "-n", "1", "--warmup", "0", "-o", cmp1b, "--",
                       "load=1"], uid, gid, env=env, timeout=60)
pp.check(r.returncode != 0, f"a FIFO for stdout: the run fails, compare ends: {r.returncode}")

# 2: the last run's folder is a symlink to a place whose stacks.folded is a root-only file
cmp2 = su.user_path(uid, gid, os.path.join(h, "cmp2"))
evil = su.user_path(uid, gid, os.path.join(h, "evil"))
su.user_path(uid, gid, os.path.join(evil, "stacks.folded"), "link", su.secret())
su.user_path(uid, gid, run_folder(cmp2), "link", evil)
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
# reused with fewer runs: a new batch, reported alone; the earlier one's runs stay apart
r = su.phaseprof_sudo(["compare", "-x", exe, "-n", "1", "--warmup", "0", "-o", cmp3, "--",
                       "load=1"], uid, gid, env=env)
pp.check(r.returncode == 0, f"compare again: {r.returncode} {r.stderr}")
rt = os.path.join(cmp3, "runs", "b2", "load_1", "phasetest")
left = sorted(os.listdir(rt)) if os.path.isdir(rt) else None
pp.check(left == ["run-0"], f"the second batch has its one run: {left}")
doc = pp.load_json(os.path.join(cmp3, "compare.json"))
pp.check(doc["batch"] == 2 and doc["runtimes"][0]["runs"] == 1,
         f"compare.json reports the new batch only: {doc['batch']} {doc['runtimes'][0]['runs']}")
pp.check(not su.root_owned_in(os.path.join(h, "cmp3")),
         f"root-owned files after the reuse: {su.root_owned_in(os.path.join(h, 'cmp3'))}")
pp.done()
