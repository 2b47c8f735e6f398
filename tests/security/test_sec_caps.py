"""A capabilities-only install: phaseprof copied to a root-owned directory and
given file capabilities cap_bpf,cap_perfmon (all a kernel >= 5.11 needs: BPF
maps are charged to the memory cgroup, so no cap_sys_resource for
RLIMIT_MEMLOCK), run by an ordinary user without sudo:
`phaseprof -x node -o out -- app.wasm` works, node runs as that user, and
everything written is the user's. SKIP where file capabilities are
unavailable (no setcap, a file system without xattrs)."""
import os
import shutil
import subprocess
import secutil as su  # noqa: E402 (puts tests/integration on the path)
import pp  # noqa: E402

uid, gid = su.need_user()
setcap = pp.need_program("setcap")
node = shutil.which("node") or pp.skip("node is not installed")
if not os.path.exists(pp.EXAMPLE_WASM):
    pp.skip(f"no {pp.EXAMPLE_WASM} (built with the examples)")
prefix = pp.tmpdir()
os.chmod(prefix, 0o755)
exe = os.path.join(prefix, "phaseprof")
shutil.copy(pp.PHASEPROF, exe)
os.chmod(exe, 0o755)
r = pp.run([setcap, "cap_bpf,cap_perfmon+ep", exe])
if r.returncode:
    pp.skip(f"file capabilities unavailable here: setcap: {r.stderr.strip()}")
h = su.home(uid, gid)
app = su.copy_as_user(pp.EXAMPLE_WASM, os.path.join(h, "app.wasm"), uid, gid, 0o644)
out = os.path.join(h, "out")


def as_user():
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


env = {k: v for k, v in os.environ.items() if not k.startswith("SUDO_")}
env.update(HOME=h, PATH="/usr/local/bin:/usr/bin:/bin")
r = subprocess.run([exe, "-x", "node", "-o", out, "--", app], env=env, cwd=h, text=True,
                   capture_output=True, timeout=300, preexec_fn=as_user)
if r.returncode == 77:
    pp.skip(f"the kernel wants more than cap_bpf,cap_perfmon here: {r.stderr.strip()[-300:]}")
pp.check(r.returncode == 0, f"record as a user with capabilities: {r.returncode} {r.stderr[-500:]}")
doc = pp.load_json(os.path.join(out, "phases.json")) if os.path.exists(
    os.path.join(out, "phases.json")) else {}
phases = {p.get("name"): p for p in doc.get("phases", [])}
pp.check(phases.get("compile", {}).get("intervals", 0) > 0, f"node's compile phase was seen: {phases.get('compile')}")
for name in ("phases.json", "stacks.folded", "flamegraph.svg"):
    p = os.path.join(out, name)
    pp.check(os.path.exists(p) and os.lstat(p).st_uid == uid, f"{name} written, the user's")
pp.check(not su.root_owned_in(h), f"root-owned in the user's home: {su.root_owned_in(h)}")
pp.done()
