"""`phaseprof runtimes --verify`: the bundled WASI app runs under each runtime
and every phase is told fired or not, with a verdict. node (installed by the
tree's dependencies) is ready; a node profile with one phase broken on
purpose is degraded and says which; Debian's stripped wasm-interp without WASI
is degraded, with both reasons; each real build of $PHASEPROF_RUNTIMES that a
profile names is ready."""
import json
import os
import pp

pp.need_root()
node = pp.need_program("node")


def verify(args, **kw):
    r = pp.phaseprof(["runtimes", "--verify", "--json"] + args, **kw)
    try:
        return r, json.loads(r.stdout)
    except ValueError:
        pp.check(False, f"{args}: not JSON: {r.stdout!r}\n{r.stderr}")
        return r, []


env = {"PHASEPROF_PROBE_PATH": ""}
r, doc = verify(["-x", node], env=env)
pp.check(r.returncode == 0, f"node: exit {r.returncode}\n{r.stderr}")
if doc:
    v = doc[0]["verify"]
    pp.check(v["verdict"] == "ready" and v["ran"], f"node verdict {v}")
    fired = {p["name"] for p in v["phases"] if p["fired"]}
    pp.check({"load", "compile", "instantiate", "execute"} <= fired, f"node phases fired {fired}")
    pp.check(all(p["wall_ms"] is not None and p["wall_ms"] > 0 for p in v["phases"]
                 if p["required"]), f"node walls {v['phases']}")
    pp.check(doc[0]["proven"]["version"] and doc[0]["proven"]["date"], "node profile proven on")

# the plain twin says the same
r = pp.phaseprof(["runtimes", "--verify", "-x", node], env=env)
pp.check("verify: ready" in r.stdout, f"plain verify: {r.stdout[-400:]}")

# node's profile with instantiate renamed away: degraded, and why
src = open(os.path.join(pp.SOURCE_DIR, "probes", "node.probe")).read()
broken = src.replace("during v8::internal::wasm::WasmEngine::SyncInstantiate",
                     "during v8::internal::wasm::NoSuchInstantiate")
pp.check(broken != src, "node.probe has the instantiate site this test breaks")
d = pp.tmpdir()
with open(os.path.join(d, "node.probe"), "w") as f:
    f.write(broken)
# node-wasi.cjs is found beside the profile
os.symlink(os.path.join(pp.SOURCE_DIR, "probes", "node-wasi.cjs"), os.path.join(d, "node-wasi.cjs"))
r, doc = verify(["--probes", os.path.join(d, "node.probe"), node])
pp.check(r.returncode == 66, f"degraded node: exit {r.returncode}\n{r.stderr}")
if doc:
    v = doc[0]["verify"]
    pp.check(v["verdict"] == "degraded" and "instantiate unresolved" in (v["reason"] or ""),
             f"degraded verdict {v}")
    ph = {p["name"]: p for p in v["phases"]}
    pp.check(ph["instantiate"]["unresolved"] and not ph["instantiate"]["fired"], f"{ph}")
    pp.check(ph["execute"]["fired"] and ph["load"]["fired"], "the other phases still fire")

# Debian's wasm-interp: stripped and without WASI
wi = "/usr/bin/wasm-interp"
if os.path.exists(wi) and b"wasi support not compiled in" in open(wi, "rb").read():
    r, doc = verify(["-x", wi], env=env)
    pp.check(r.returncode == 66, f"wasm-interp: exit {r.returncode}\n{r.stderr}")
    if doc:
        v = doc[0]["verify"]
        pp.check(v["verdict"] == "degraded", f"wasm-interp verdict {v}")
        pp.check("cannot run WASI apps" in (v["reason"] or ""), f"reason names WASI: {v}")
        pp.check(doc[0]["proven"]["installed_matches"] is False, "version drift reported")
    r = pp.phaseprof(["runtimes", "-x", wi], env=env)
    pp.check("warning: installed version" in r.stdout, f"plain warns of drift: {r.stdout[-300:]}")
    # and a run says why instead of failing silently
    r = pp.phaseprof(["-x", wi, "--", pp.EXAMPLE_WASM], env=env)
    pp.check(r.returncode == 125 and "lacks it" in r.stderr and "WASI" in r.stderr,
             f"wasm-interp run: {r.returncode} {r.stderr}")
else:
    print("SKIP part: no Debian wasm-interp without WASI here")

# every real build a profile names is ready
rts = os.environ.get("PHASEPROF_RUNTIMES")
for name, path in (pp.real_runtimes() if rts and os.path.isdir(rts) else {}).items():
    r, doc = verify(["-x", path], env=env)
    if r.returncode == 67:
        print(f"{name}: no profile names it")
        continue
    if doc:
        v = doc[0]["verify"]
        pp.check(v["verdict"] == "ready", f"{name}: verdict {v['verdict']}: {v['reason']}")
        print(f"{name}: {v['verdict']}", {p["name"]: p["wall_ms"] for p in v["phases"]})
pp.done()
