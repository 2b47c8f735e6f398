"""Finding 10: files the target mapped were reopened by name as root, so the
target could swap one for a FIFO (phaseprof hung in open) or a symlink to a
file it cannot read. Now a mapped file is opened without following a symlink
or blocking on a FIFO, and only used if it is still the mapped file (device
and inode); under sudo, with the user's identity. The target here maps a copy
of libz, replaces it with a FIFO, then spends its time in that copy while
phaseprof unwinds its stacks with DWARF CFI."""
import os
import subprocess
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402

uid, gid = su.need_user()
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else pp.skip(
    "no /usr/bin/python3 (a target every user can run)")
libz = next((p for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                         "/usr/lib64/libz.so.1", "/lib64/libz.so.1") if os.path.exists(p)), None)
if not libz:
    pp.skip("no libz.so.1 to map")
h = su.home(uid, gid)
lib = su.copy_as_user(libz, os.path.join(h, "libzcopy.so.1"), uid, gid, 0o644)
script = su.user_path(uid, gid, os.path.join(h, "swap.py"), "file", text=f"""
import ctypes, os, time
z = ctypes.CDLL({lib!r})
os.unlink({lib!r})
os.mkfifo({lib!r})
src = os.urandom(1 << 20)
dst = ctypes.create_string_buffer(2 << 20)
n = ctypes.c_ulong()
end = time.time() + 1.5
while time.time() < end:
    n.value = len(dst)
    z.compress2(dst, ctypes.byref(n), src, len(src), 9)
print("done")
""")
e = dict(os.environ, **su.sudo_env(uid, gid))
try:
    r = subprocess.run([pp.PHASEPROF, "-x", python, "--call-graph", "dwarf", "-o",
                        os.path.join(h, "out"), "--", script], env=e, capture_output=True,
                       text=True, timeout=90)
    hung = False
except subprocess.TimeoutExpired:
    hung = True
pp.check(not hung, "phaseprof hung on a FIFO put where a mapped file was")
if not hung:
    pp.check(r.returncode == 0 and "done" in r.stdout, f"the run finished: {r.returncode} "
             f"{r.stderr[-300:]}")
    folded = os.path.join(h, "out", "stacks.folded")
    pp.check(os.path.exists(folded), "stacks written")
# the FIFO is the user's to clean; nothing of root's in their home
pp.check(not su.root_owned_in(h), f"root-owned in the user's home: {su.root_owned_in(h)}")
pp.done()
