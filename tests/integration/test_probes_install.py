"""phaseprof probes install/list/remove on the test runtime: named events in
group probe_phasetest that perf record uses; install is idempotent; list tells
ok from stale (a new build-id) and missing; remove deletes exactly ours, never
a foreign event, even one in our group."""
import os
import shutil
import pp
import pputil_probes as up

up.need_tracefs()
perf = pp.need_program("perf")
env = up.private_env()
G = "probe_phasetest"


def probes(args, **kw):
    return pp.phaseprof(["probes"] + args, env=env, **kw)


up.delete_group(G)  # a run that died half way
r = probes(["install", "-x", pp.PHASETEST])
pp.check(r.returncode == 0, f"install: {r.returncode} {r.stderr}")
ev = up.group_events(G)
expected = {"load_enter": "p", "load_exit": "r", "compile_enter": "p", "compile_exit": "r",
            "compile_enter_1": "p", "compile_exit_1": "r", "compile_enter_2": "p",
            "compile_exit_2": "r", "instantiate_enter": "p", "instantiate_exit": "r",
            "execute_enter": "p", "execute_exit": "r"}
pp.check(sorted(ev) == sorted(f"{G}:{e}" for e in expected), f"events: {sorted(ev)}")
for e, kind in expected.items():
    d = ev.get(f"{G}:{e}", "")
    pp.check(d.startswith(kind + " " + os.path.realpath(pp.PHASETEST) + ":0x"), f"{e}: {d}")

# idempotent: again, nothing changes
r = probes(["install", "-x", pp.PHASETEST])
pp.check(r.returncode == 0 and "(0 new)" in r.stdout, f"install again: {r.stdout} {r.stderr}")
pp.check(up.group_events(G) == ev, "install again changes nothing")

r = probes(["list"])
pp.check(r.returncode == 0, f"list: {r.stderr}")
pp.check(r.stdout.count(" ok ") == 12, f"12 events ok:\n{r.stdout}")
pp.check("during pt_load" in r.stdout, "list names the sites")

# perf record uses them
out = pp.tmpdir()
data = os.path.join(out, "perf.data")
r = pp.run([perf, "record", "-q", "-o", data, "-e", f"{G}:*", "--", pp.PHASETEST,
            "load=5", "compile=5:busy:2", "execute=5"])
pp.check(r.returncode == 0, f"perf record: {r.stderr}")
s = pp.run([perf, "script", "-i", data, "-F", "event"])
seen = [l.strip().rstrip(":") for l in s.stdout.splitlines() if l.strip()]
for e, n in (("load_enter", 1), ("load_exit", 1), ("compile_enter", 1), ("compile_exit", 1),
             ("compile_enter_1", 2), ("compile_exit_1", 2), ("execute_enter", 1),
             ("execute_exit", 1)):
    pp.check(seen.count(f"{G}:{e}") == n, f"perf script: {e} {seen.count(f'{G}:{e}')} times, not {n}")
pp.check(f"{G}:compile_enter_2" not in seen, "lazy compile never ran")

# a foreign event in our own group, and one in a foreign group, survive remove
up.write_uprobe_events(f"p:{G}/foreign {os.path.realpath(pp.PHASETEST)}:0x0")
up.write_uprobe_events(f"p:probe_foreign/load_enter {os.path.realpath(pp.PHASETEST)}:0x0")
r = probes(["remove", "-x", pp.PHASETEST])
pp.check(r.returncode == 0, f"remove: {r.stderr}")
left = up.uprobe_events()
pp.check(f"{G}:foreign" in left, "foreign event in our group survives")
pp.check("probe_foreign:load_enter" in left, "foreign group survives")
pp.check(sorted(up.group_events(G)) == [f"{G}:foreign"], f"ours are gone: {sorted(up.group_events(G))}")
r = probes(["remove", "-x", pp.PHASETEST])
pp.check(r.returncode == 0 and "nothing installed" in r.stdout, f"remove again: {r.stdout} {r.stderr}")
# a foreign event holding one of our names: install refuses, and touches nothing
up.write_uprobe_events(f"p:{G}/load_enter {os.path.realpath(pp.PHASETEST)}:0x0")
r = probes(["install", "-x", pp.PHASETEST])
pp.check(r.returncode != 0 and "phaseprof did not make it" in r.stderr, f"clash: {r.stderr}")
pp.check(up.group_events(G).get(f"{G}:load_enter", "").endswith(":0x0000000000000000"),
         "the foreign load_enter is untouched")
for name in (f"{G}/foreign", f"{G}/load_enter", "probe_foreign/load_enter"):
    up.write_uprobe_events("-:" + name)
probes(["remove", "-x", pp.PHASETEST])

# stale: the binary was replaced by another build
d = pp.tmpdir()
copy = os.path.join(d, "phasetest")
shutil.copy(pp.PHASETEST, copy)
r = probes(["install", "-x", copy])
pp.check(r.returncode == 0, f"install copy: {r.stderr}")
# a rebuilt binary (another build-id), moved into place as package managers do
with open(copy, "rb") as f:
    b = bytearray(f.read())
# the NT_GNU_BUILD_ID note: namesz 4, descsz 20, type 3, "GNU", then the id
i = b.find(b"\x04\x00\x00\x00\x14\x00\x00\x00\x03\x00\x00\x00GNU\x00") + 16
b[i] ^= 0xff
with open(copy + ".new", "wb") as f:
    f.write(b)
os.chmod(copy + ".new", 0o755)
os.rename(copy + ".new", copy)
r = probes(["list", "phasetest"])
pp.check("stale" in r.stdout and " ok " not in r.stdout, f"list says stale:\n{r.stdout}")
pp.check("probes install -x" in r.stdout, "list gives the hint")
up.delete_group(G)
r = probes(["list", "phasetest"])
pp.check("missing" in r.stdout, f"list says missing after a reboot:\n{r.stdout}")
r = probes(["remove", "phasetest"])
pp.check(r.returncode == 0, f"remove by profile name: {r.stderr}")
pp.check(not up.group_events(G), "nothing left")
pp.done()
