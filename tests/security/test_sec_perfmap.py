"""Issue 12's perf maps: /tmp/perf-PID.map was read as root with no owner
check, so a target could point it (a symlink) at a root-only file and have it
read as a perf map. Now a perf map is read only when it is a regular file of
the target's user (or root), opened without following a symlink, and capped
in size. The target here runs JIT-like code in anonymous memory (where perf
maps name frames) after linking its perf map to a root-only file that names
every address."""
import os
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402

uid, gid = su.need_user()
python = "/usr/bin/python3"
if not os.path.exists(python):
    pp.skip("no /usr/bin/python3 (a target every user can run)")
if os.uname().machine != "x86_64":
    pp.skip("the target's code is x86-64")
secret = su.secret(f"0 7fffffffffff {su.MARKER}\n")
os.chmod(os.path.dirname(secret), 0o711)  # the path reachable, the file still root's alone
h = su.home(uid, gid)
script = su.user_path(uid, gid, os.path.join(h, "jit.py"), "file", text=f"""
import ctypes, mmap, os
os.symlink({secret!r}, "/tmp/perf-%d.map" % os.getpid())
# mov rcx, 3e8; 1: dec rcx; jnz 1b; ret
code = bytes.fromhex("48b900e8764800000000" "48ffc9" "75fb" "c3")
m = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
              prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(code)
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
ctypes.CFUNCTYPE(None)(addr)()
print("done")  # the link stays: phaseprof names the samples after the target exits
""")
out = os.path.join(h, "out")
r = su.phaseprof_sudo(["-x", python, "--call-graph", "fp", "-o", out, "--", script], uid, gid)
pp.check(r.returncode == 0 and "done" in r.stdout, f"the run: {r.returncode} {r.stderr[-300:]}")
folded = os.path.join(out, "stacks.folded")
text = open(folded).read() if os.path.exists(folded) else ""
pp.check(text != "", "stacks written")
pp.check(su.MARKER not in text, "a root-only file was read as the target's perf map")
for name in os.listdir("/tmp"):
    p = os.path.join("/tmp", name)
    if name.startswith("perf-") and os.path.islink(p) and os.readlink(p) == secret:
        os.unlink(p)
pp.done()
