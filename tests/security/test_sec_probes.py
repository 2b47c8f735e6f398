"""Findings 8 and 9, and --boot from root's places only.
8. A profile name became a file name unchecked: `profile ../../x` made root
   write outside the configuration directory. Names are [a-z0-9_-] now.
9. A newline in --config-dir injected lines (ExecStartPre=) into the boot
   unit; and the unit ran a user-writable phaseprof with a user-writable
   profile at every boot. Paths a unit names come from a safe character set,
   --config-dir must be root's, and --boot refuses a phaseprof or profile that
   a user could change (naming the path, suggesting cmake --install); from an
   installed, root-owned prefix it works and the unit passes systemd-analyze."""
import os
import shutil
import uuid
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402
import pputil_probes as up  # noqa: E402

uid, gid = su.need_user()
up.need_tracefs()
exe, probes = su.public_phasetest("ppsec_boot")
h = su.home(uid, gid)
penv = up.private_env()
env = dict(penv, PHASEPROF_PROBE_PATH=probes)
unit = os.path.join(penv["PHASEPROF_UNIT_DIR"], "phaseprof-probes.service")
with open(os.path.join(probes, "phasetest.probe")) as f:
    probe_text = f.read()

# 8: a profile name that climbs out of the configuration directory
name = f"ppsec{uuid.uuid4().hex[:6]}"
evil = su.user_path(uid, gid, os.path.join(h, "evil.probe"), "file",
                    text=probe_text.replace("profile ppsec_boot", f"profile ../../{name}"))
r = su.phaseprof_sudo(["probes", "install", "-x", exe, "--probes", evil], uid, gid, env=env)
outside = os.path.join(os.path.dirname(penv["PHASEPROF_CONFIG_DIR"]), f"{name}.conf")
pp.check(not os.path.exists(outside), f"a profile name wrote {outside}")
pp.check(r.returncode == 65 and "may use only a-z, 0-9" in r.stderr,
         f"the name is refused: {r.returncode} {r.stderr}")
up.delete_group("probe_______" + name)
r = su.phaseprof_sudo(["probes", "remove", "../../x"], uid, gid, env=env)
pp.check(r.returncode == 64 and "not a profile name" in r.stderr, f"remove ../../x: {r.stderr}")

# 9a: a newline in --config-dir
inject = "/tmp/ppsec-cfg\nExecStartPre=/bin/false"
r = su.phaseprof_sudo(["probes", "install", "-x", exe, "--boot", "--config-dir", inject], uid,
                      gid, env=env)
text = open(unit).read() if os.path.exists(unit) else ""
pp.check("ExecStartPre" not in text, f"a line was injected into the unit:\n{text}")
pp.check(r.returncode == 64 and "configuration directory must be" in r.stderr,
         f"--config-dir refused: {r.returncode} {r.stderr}")
up.delete_group("probe_ppsec_boot")

# 9b: a configuration directory the user owns
ucfg = su.user_path(uid, gid, os.path.join(h, "etc"))
r = su.phaseprof_sudo(["probes", "install", "-x", exe, "--config-dir", ucfg], uid, gid, env=env)
pp.check(r.returncode == 125 and "refusing configuration directory" in r.stderr,
         f"a user's --config-dir: {r.returncode} {r.stderr}")
pp.check(os.listdir(ucfg) == [], f"nothing written in the user's directory: {os.listdir(ucfg)}")

# 9b': a unit directory the user owns
uunit = su.user_path(uid, gid, os.path.join(h, "units"))
r = su.phaseprof_sudo(["probes", "install", "-x", exe, "--boot"], uid, gid,
                      env=dict(env, PHASEPROF_UNIT_DIR=uunit))
pp.check(r.returncode == 125 and "refusing unit directory" in r.stderr,
         f"a user's unit directory: {r.returncode} {r.stderr}")
pp.check(os.listdir(uunit) == [], f"no unit in the user's directory: {os.listdir(uunit)}")
pp.phaseprof(["probes", "remove", "--boot", "ppsec_boot"], env=env)
up.delete_group("probe_ppsec_boot")

# 9c: --boot with phaseprof in a user-writable tree (a build in a home)
ubin = su.user_path(uid, gid, os.path.join(h, "build"))
uexe = su.copy_as_user(pp.PHASEPROF, os.path.join(ubin, "phaseprof"), uid, gid)
r = su.phaseprof_sudo(["probes", "install", "-x", exe, "--boot"], uid, gid, env=env, exe=uexe)
pp.check(r.returncode != 0 and "refusing --boot" in r.stderr and ubin in r.stderr and
         "cmake --install" in r.stderr, f"--boot from a user's build: {r.returncode} {r.stderr}")
pp.check(not os.path.exists(unit), "no unit written")
# ... or with the user's profile
uprobe = su.user_path(uid, gid, os.path.join(h, "phasetest.probe"), "file", text=probe_text)
r = su.phaseprof_sudo(["probes", "install", "-x", exe, "--boot", "--probes", uprobe], uid, gid,
                      env=env)
pp.check(r.returncode != 0 and "refusing --boot" in r.stderr and uprobe in r.stderr,
         f"--boot with a user's profile: {r.returncode} {r.stderr}")
pp.check(not os.path.exists(unit), "no unit written")
up.delete_group("probe_ppsec_boot")

# from an installed, root-owned prefix: works, and the unit verifies
prefix = pp.tmpdir()
os.chmod(prefix, 0o755)
c = pp.run(["cmake", "--install", pp.BUILD_DIR, "--prefix", prefix])
iexe = os.path.join(prefix, "bin", "phaseprof")
if c.returncode or not os.path.exists(iexe):  # no cmake here: install by hand, as root
    os.makedirs(os.path.join(prefix, "bin"), exist_ok=True)
    shutil.copy(pp.PHASEPROF, iexe)
iprobe = os.path.join(prefix, "share", "phaseprof", "probes", "phasetest.probe")
os.makedirs(os.path.dirname(iprobe), exist_ok=True)
shutil.copy(os.path.join(probes, "phasetest.probe"), iprobe)
os.chmod(iprobe, 0o644)
r = su.phaseprof_sudo(["probes", "install", "-x", exe, "--boot", "--probes", iprobe], uid, gid,
                      env=env, exe=iexe)
pp.check(r.returncode == 0, f"--boot from an installed prefix: {r.returncode} {r.stderr}")
pp.check(os.path.exists(unit), "unit written")
for p in (unit, penv["PHASEPROF_CONFIG_DIR"]):
    if os.path.exists(p):
        pp.check(os.lstat(p).st_uid == 0 and not su.user_writable(p, uid, gid),
                 f"{p} is root's alone")
text = open(unit).read() if os.path.exists(unit) else ""
pp.check(f"ExecStart={iexe} probes install --from-boot-config" in text, f"unit:\n{text}")
sa = shutil.which("systemd-analyze")
if sa and text:
    man = pp.tmpdir()
    os.makedirs(os.path.join(man, "man1"))
    shutil.copy(os.path.join(pp.SOURCE_DIR, "man", "phaseprof-probes.1"), os.path.join(man, "man1"))
    v = pp.run([sa, "verify", unit], env=dict(os.environ, MANPATH=man))
    pp.check(v.returncode == 0 and v.stderr.strip() == "", f"systemd-analyze verify: {v.stderr}")
else:
    print("note: systemd-analyze not installed, unit not verified")
r = pp.phaseprof(["probes", "remove", "--boot", "ppsec_boot"], env=env)
pp.check(r.returncode == 0, f"remove --boot: {r.stderr}")
up.delete_group("probe_ppsec_boot")
pp.done()
