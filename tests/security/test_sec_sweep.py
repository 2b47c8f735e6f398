"""After a run of every verb under sudo: nothing phaseprof made in a place the
user chose is root's, and nothing root keeps (plan cache, configuration
directory, boot unit) is the user's or writable by the user."""
import os
import subprocess
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402
import pputil_probes as up  # noqa: E402

uid, gid = su.need_user()
up.need_tracefs()
exe, probes = su.public_phasetest("ppsec_sweep")
h = su.home(uid, gid)
root_top = pp.tmpdir()
os.mkdir(os.path.join(root_top, "cache"), 0o755)
penv = up.private_env()
env = dict(penv, PHASEPROF_PROBE_PATH=probes,
           PHASEPROF_CACHE_DIR=os.path.join(root_top, "cache", "plans"))


def sudo(args, **kw):
    r = su.phaseprof_sudo(args, uid, gid, env=env, **kw)
    pp.check(r.returncode == 0, f"{' '.join(args[:3])}: {r.returncode} {r.stderr[-300:]}")
    return r


def user_file(name):
    """An output file the user opened (as a shell redirect under sudo would be)."""
    p = su.user_path(uid, gid, os.path.join(h, name), "file", text="")
    return open(p, "w")


out = os.path.join(h, "rec", "a")
sudo(["-x", exe, "-o", out, "--", "load=2", "execute=50:busy"])
sudo(["record", "-x", exe, "-o", out, "--", "load=2"])  # again, reused
sudo(["record", "--backend", "perf", "-x", exe, "-o", os.path.join(h, "rec", "perf"), "--",
      "load=2"])
sudo(["resolve", "-x", exe, "pt_*"])
inputs = su.user_path(uid, gid, os.path.join(h, "inputs"), "file", text="pt_load\n")
sudo(["resolve", "-x", exe, "--inputs-from", inputs])
folded = os.path.join(out, "stacks.folded")
with user_file("fg.svg") as f:
    sudo(["flamegraph", folded], stdout=f, stderr=subprocess.PIPE, capture_output=False)
with user_file("diff.svg") as f:
    sudo(["diff", folded, folded], stdout=f, stderr=subprocess.PIPE, capture_output=False)
sudo(["runtimes", exe])
sudo(["compare", "-x", exe, "-n", "1", "--warmup", "0", "-o", os.path.join(h, "cmp"), "--",
      "load=1"])
sudo(["probes", "install", "-x", exe, "--boot"])
sudo(["probes", "list"])
sudo(["probes", "remove", "ppsec_sweep"])
up.delete_group("probe_ppsec_sweep")

pp.check(not su.root_owned_in(h), f"root-owned in the user's places: {su.root_owned_in(h)}")
state = []
for top in (os.path.join(root_top, "cache"), os.path.dirname(penv["PHASEPROF_CONFIG_DIR"])):
    for d, dirs, files in os.walk(top):
        state += [d] + [os.path.join(d, n) for n in dirs + files]
pp.check(any(p.endswith(".plan") for p in state), "a plan was cached")
pp.check(any(p.endswith("phaseprof-probes.service") for p in state), "a unit was written")
bad = [p for p in state if os.lstat(p).st_uid != 0 or su.user_writable(p, uid, gid)]
pp.check(not bad, f"root's state owned or writable by the user: {bad}")
pp.done()
