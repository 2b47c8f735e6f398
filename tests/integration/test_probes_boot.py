"""probes install --boot survives a reboot, simulated: the events are deleted
(as a reboot does), then exactly the command the generated
phaseprof-probes.service runs brings them back. The unit passes
systemd-analyze verify. A saved installation whose binary is gone fails
clearly (non-zero, names the file) and the others are still re-created;
remove --boot forgets an installation, and the last one takes the unit."""
import os
import shlex
import shutil
import pp
import pputil_probes as up

up.need_tracefs()
env = up.private_env()
unit = os.path.join(env["PHASEPROF_UNIT_DIR"], "phaseprof-probes.service")
G, G2 = "probe_phasetest", "probe_phasetest_gone"


def probes(args):
    return pp.phaseprof(["probes"] + args, env=env)


for g in (G, G2):
    up.delete_group(g)
# a second installation, from a copy of the runtime that will disappear
d = pp.tmpdir()
copy = os.path.join(d, "phasetest")
shutil.copy(pp.PHASETEST, copy)
with open(os.path.join(pp.TEST_PROBES, "phasetest.probe")) as f:
    text = f.read().replace("profile phasetest", "profile phasetest_gone")
probe2 = os.path.join(d, "gone.probe")
with open(probe2, "w") as f:
    f.write(text)

r = probes(["install", "-x", pp.PHASETEST, "--boot"])
pp.check(r.returncode == 0, f"install --boot: {r.stderr}")
r = probes(["install", "-x", copy, "--probes", probe2, "--boot"])
pp.check(r.returncode == 0, f"install --boot the copy: {r.stderr}")
pp.check(os.path.exists(unit), "unit written")
before = up.group_events(G)
pp.check(len(before) == 12 and len(up.group_events(G2)) == 12, "both installed")
r = probes(["list"])
pp.check(r.stdout.count("re-created at boot") == 2, f"list says boot:\n{r.stdout}")

with open(unit) as f:
    text = f.read()
for line in ("Type=oneshot", "RemainAfterExit=yes", "After=local-fs.target",
             "WantedBy=multi-user.target"):
    pp.check(line in text.splitlines(), f"unit has {line}")
exec_start = [l.split("=", 1)[1] for l in text.splitlines() if l.startswith("ExecStart=")]
pp.check(len(exec_start) == 1, "one ExecStart")
argv = shlex.split(exec_start[0])
pp.check(argv[0] == os.path.realpath(pp.PHASEPROF) and argv[1:4] == ["probes", "install",
                                                                      "--from-boot-config"],
         f"ExecStart: {argv}")

sa = shutil.which("systemd-analyze")
if sa:
    # its Documentation= man page, as an installed phaseprof would have it
    man = pp.tmpdir()
    os.makedirs(os.path.join(man, "man1"))
    shutil.copy(os.path.join(pp.SOURCE_DIR, "man", "phaseprof-probes.1"), os.path.join(man, "man1"))
    v = pp.run([sa, "verify", unit], env=dict(os.environ, MANPATH=man))
    pp.check(v.returncode == 0 and v.stderr.strip() == "", f"systemd-analyze verify: {v.stderr}")
else:
    print("note: systemd-analyze not installed, unit not verified")

# the reboot: events gone, the copy's binary gone too
for g in (G, G2):
    up.delete_group(g)
os.unlink(copy)
r = pp.run(argv, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})  # systemd's bare environment
pp.check(r.returncode != 0, "boot run fails when a saved binary is gone")
pp.check(f"cannot find runtime '{copy}'" in r.stderr and "gone.conf" in r.stderr or
         "phasetest_gone.conf" in r.stderr, f"error names it: {r.stderr}")
pp.check(up.group_events(G) == before, "the other installation is back, as it was")
pp.check(not up.group_events(G2), "nothing half made for the gone binary")
# the unit's command is idempotent too
r = pp.run(argv, env={"PATH": "/usr/bin:/bin"})
pp.check(up.group_events(G) == before, "again: unchanged")

r = probes(["remove", "--boot", "phasetest_gone"])
pp.check(r.returncode == 0, f"remove --boot the gone one: {r.stderr}")
r = pp.run(argv, env={"PATH": "/usr/bin:/bin"})
pp.check(r.returncode == 0, f"boot run clean now: {r.stderr}")
r = probes(["remove", "-x", pp.PHASETEST, "--boot"])
pp.check(r.returncode == 0, f"remove --boot: {r.stderr}")
pp.check(not up.group_events(G), "events removed")
pp.check(not os.path.exists(unit), "last boot installation gone: unit removed")
pp.check(not os.listdir(os.path.join(env["PHASEPROF_CONFIG_DIR"], "boot.d")), "boot.d empty")
pp.done()
