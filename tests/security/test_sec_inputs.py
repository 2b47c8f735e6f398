"""Finding 7 and issue 12's SUDO_UID: files the user names are read with the
user's identity, so a root-only file is never read, let alone echoed back
(--probes /etc/shadow printed its first line; resolve --inputs-from printed
every line). A malformed SUDO_UID/SUDO_GID is an error (exit 64), never a
runtime left running as root."""
import os
import shutil
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402

uid, gid = su.need_user()
exe, probes = su.public_phasetest()
env = {"PHASEPROF_PROBE_PATH": probes}
secret = su.secret()
shown = lambda r: su.MARKER in r.stdout or su.MARKER in r.stderr  # noqa: E731

r = su.phaseprof_sudo(["-x", exe, "--probes", secret, "--", "load=1"], uid, gid, env=env)
pp.check(not shown(r), f"--probes echoed a root-only file: {r.stderr}")
pp.check(r.returncode == 65 and "ermission denied" in r.stderr,
         f"--probes: cannot open, as the user: {r.returncode} {r.stderr}")
r = su.phaseprof_sudo(["resolve", "-x", exe, "--inputs-from", secret], uid, gid, env=env)
pp.check(not shown(r), f"resolve --inputs-from echoed a root-only file: {r.stdout}{r.stderr}")
pp.check(r.returncode != 0 and "ermission denied" in r.stderr,
         f"resolve --inputs-from: cannot open: {r.returncode} {r.stderr}")
r = su.phaseprof_sudo(["flamegraph", secret], uid, gid, env=env)
pp.check(not shown(r) and r.returncode != 0, f"flamegraph drew a root-only file: {r.returncode}")
r = su.phaseprof_sudo(["diff", secret, secret], uid, gid, env=env)
pp.check(not shown(r) and r.returncode != 0, f"diff drew a root-only file: {r.returncode}")
r = su.phaseprof_sudo(["resolve", "-x", secret], uid, gid, env=env)
pp.check(not shown(r) and r.returncode != 0, f"resolve -x a root-only file: {r.returncode}")
r = su.phaseprof_sudo(["-x", exe, "--btf", secret, "--", "load=1"], uid, gid, env=env)
pp.check(not shown(r) and r.returncode != 0, f"--btf a root-only file: {r.returncode} {r.stderr}")

# malformed sudo environments: a clear error, and the target never runs (as root or at all)
ident = shutil.which("id")
for u, g in (("abc", str(gid)), ("", str(gid)), ("-1", str(gid)), ("1x", str(gid)),
             (f" {uid}", str(gid)), ("4294967295", str(gid)), ("99999999999", str(gid)),
             (str(uid), "x"), (str(uid), None)):
    e = dict(os.environ, SUDO_UID=u, SUDO_USER=su.USER)
    if g is None:
        e.pop("SUDO_GID", None)
    else:
        e["SUDO_GID"] = g
    r = pp.run([pp.PHASEPROF, "-x", ident, "--generic", "--", "-u"], env=e)
    pp.check(r.returncode == 64 and "malformed sudo environment" in r.stderr,
             f"SUDO_UID={u!r} SUDO_GID={g!r}: {r.returncode} {r.stderr.strip()[:200]}")
    pp.check(r.stdout.strip() == "", f"SUDO_UID={u!r}: the target ran as uid {r.stdout.strip()}")
# a well-formed one: the target runs as the user
r = su.phaseprof_sudo(["-x", ident, "--generic", "--", "-u"], uid, gid)
pp.check(r.returncode == 0 and r.stdout.strip() == str(uid),
         f"the target runs as the user: {r.returncode} {r.stdout} {r.stderr[-200:]}")
pp.done()
