"""Findings 3 and 6, and issue 12's -o checks, for record under sudo.
3. record drew flamegraph.svg by re-reading DIR/stacks.folded by name: with
   DIR reached through a symlink the user swaps during the run, a root-only
   file ended up in the user's flame graph. It must come from memory.
6. -o in a place only root may write (/etc) was made as root and handed to
   the user. It must fail, before the runtime runs, and make nothing.
-o a/b/c is made like mkdir -p, as the user; an unusable -o fails before the
run (the runtime's exit status is never lost to an output error); a reused
directory keeps no stale stacks.folded or flamegraph.svg."""
import os
import subprocess
import uuid
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402

uid, gid = su.need_user()
exe, probes = su.public_phasetest()
env = {"PHASEPROF_PROBE_PATH": probes}
h = su.home(uid, gid)

# 3: DIR is h/link/out, and the user keeps swapping link between a and b, where
# b/out/stacks.folded is a root-only file in folded form. Whatever DIR the
# outputs went to, no flame graph may show that file.
a = su.user_path(uid, gid, os.path.join(h, "a"))
b = su.user_path(uid, gid, os.path.join(h, "b"))
su.user_path(uid, gid, os.path.join(a, "out"))
su.user_path(uid, gid, os.path.join(b, "out"))
secret = su.secret()
link = su.user_path(uid, gid, os.path.join(h, "link"), "link", a)
SWAP = """
import os, sys
h, a, b, secret = sys.argv[1:5]
bad = os.path.join(b, "out", "stacks.folded")
while True:
    for t in (a, b):
        if not os.path.islink(bad):  # put the trap back after each record replaced it
            try:
                os.unlink(bad)
            except OSError:
                pass
            os.symlink(secret, bad)
        os.symlink(t, h + "/link.new")
        os.rename(h + "/link.new", h + "/link")
"""
swapper = subprocess.Popen(["python3", "-c", SWAP, h, a, b, secret],
                           preexec_fn=lambda: (os.setgid(gid), os.setuid(uid)))
leaks = []
for attempt in range(16):
    r = su.phaseprof_sudo(["-x", exe, "-o", os.path.join(link, "out"), "--", "load=1"],
                          uid, gid, env=env)
    for d in (a, b):
        svg = os.path.join(d, "out", "flamegraph.svg")
        if os.path.isfile(svg) and not os.path.islink(svg):
            with open(svg, errors="replace") as f:
                if su.MARKER in f.read():
                    leaks.append((attempt, svg))
swapper.kill()
swapper.wait()
pp.check(not leaks, f"a root-only file was drawn into the user's flame graph: {leaks}")
pp.check(r.returncode == 0, f"record ran while the directory moved: {r.returncode} {r.stderr}")

# 6: -o where only root may write: refused before the run, nothing made
target = f"/etc/ppsec-{uuid.uuid4().hex[:8]}.d"
r = su.phaseprof_sudo(["-x", exe, "-o", target, "--", "load=1"], uid, gid, env=env)
pp.check(not os.path.exists(target), f"{target} was made for the user")
pp.check(r.returncode == 125 and f"cannot use '{target}' for output" in r.stderr,
         f"refused with a reason: {r.returncode} {r.stderr}")
pp.check("load" not in r.stderr, f"refused before the runtime ran: {r.stderr}")

# -o a/b/c: made like mkdir -p, every part the user's
deep = os.path.join(h, "new", "b", "c")
r = su.phaseprof_sudo(["-x", exe, "-o", deep, "--", "load=1", "exit=3"], uid, gid, env=env)
pp.check(r.returncode == 3, f"the runtime's own status: {r.returncode} {r.stderr}")
pp.check(os.path.exists(os.path.join(deep, "phases.json")), "nested -o made")
pp.check(not su.root_owned_in(h), f"root-owned in the user's home: {su.root_owned_in(h)}")

# a reused directory: a run without stacks leaves no stale stacks.folded/flamegraph.svg
pp.check(os.path.exists(os.path.join(deep, "stacks.folded")), "first run wrote stacks")
r = su.phaseprof_sudo(["-x", exe, "-F", "0", "-o", deep, "--", "load=1"], uid, gid, env=env)
pp.check(r.returncode == 0, f"rerun without stacks: {r.returncode} {r.stderr}")
left = sorted(os.listdir(deep))
# phases.json and the time line (trace.json, timeline.svg) are written on every run
pp.check(left == ["phases.json", "timeline.svg", "trace.json"], f"stale outputs removed: {left}")

# a read-only -o: fails before the run
ro = su.user_path(uid, gid, os.path.join(h, "ro"))
os.chmod(ro, 0o555)
r = su.phaseprof_sudo(["-x", exe, "-o", ro, "--", "load=1"], uid, gid, env=env)
pp.check(r.returncode == 125 and "cannot use" in r.stderr and "load" not in r.stderr,
         f"unwritable -o refused before the run: {r.returncode} {r.stderr}")
pp.done()
