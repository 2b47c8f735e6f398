"""The generic fallback: a stripped runtime (Debian's wasm-interp) and an
unknown one get startup and load from the module file's open and close, the
rest is reported as unknown (never guessed), and the report says which
fallback was used and why."""
import os
import shutil
import pp

pp.need_root()
tmp = pp.tmpdir()

# a module without WASI: wasm-interp in Debian is built without it
src = os.path.join(tmp, "exports.c")
with open(src, "w") as f:
    f.write("""
__attribute__((export_name("spin"))) int spin(void)
{
	volatile unsigned x = 1;
	for (int i = 0; i < 2000000; i++)
		x = x * 1664525u + 1013904223u;
	return (int)(x & 0x7fff);
}
__attribute__((export_name("answer"))) int answer(void) { return 42; }
""")
module = os.path.join(tmp, "exports.wasm")
r = pp.run(["clang", "--target=wasm32", "-O1", "-nostdlib", "-Wl,--no-entry", "-o", module, src])
if r.returncode:
    pp.skip(f"cannot build a wasm32 module: {r.stderr}")

interp = shutil.which("wasm-interp")
if interp:
    out = pp.tmpdir()
    bare = pp.run([interp, "--run-all-exports", module])
    r = pp.phaseprof(["-x", "wasm-interp", "-o", out, "--", "--run-all-exports", module])
    pp.check(r.returncode == bare.returncode == 0, f"exit {r.returncode} / bare {bare.returncode}\n{r.stderr}")
    pp.check(r.stdout == bare.stdout and "answer() => i32:42" in r.stdout, f"stdout {r.stdout!r}")
    pp.check("generic fallback" in r.stderr and "stripped" in r.stderr, f"says which fallback and why:\n{r.stderr}")
    doc = pp.load_json(os.path.join(out, "phases.json"))
    fb = doc["fallback"]
    pp.check(fb and "stripped" in fb["why"] and fb["module"] == module, f"fallback in json: {fb}")
    pp.check(fb["module_open_ns"] is not None and fb["module_close_ns"] >= fb["module_open_ns"], "module open then closed")
    ph = {p["name"]: p for p in doc["phases"]}
    pp.check(ph["load"]["seen"] and ph["load"]["wall_ns"] > 0, f"load seen: {ph['load']}")
    pp.check(ph["startup"]["seen"] and ph["startup"]["wall_ns"] > 0, "startup seen")
    for name in ("compile", "instantiate", "execute", "teardown"):
        pp.check(not ph[name]["seen"] and ph[name]["wall_ns"] is None, f"{name} not guessed: {ph[name]}")
    pp.check(ph["unknown"]["wall_ns"] > 0, "the rest is unknown")
    total = sum(ph[n]["main_thread_ns"] for n in ph)
    main_thr = [t for t in doc["threads"] if t["tid"] == t["pid"] == doc["threads"][0]["pid"]][0]
    life = main_thr["end_ns"] - main_thr["start_ns"]
    pp.near(total, life, life * 0.01, "the main thread's time is all accounted for")
    pp.check(ph["unknown"]["samples"] > 0, "the spinning exports are sampled under unknown")
    # with --no-fallback the stripped binary is an error, as before
    r = pp.phaseprof(["-x", "wasm-interp", "--no-fallback", "--", "--run-all-exports", module])
    pp.check(r.returncode == 66 and "stripped" in r.stderr, f"--no-fallback: {r.returncode} {r.stderr}")
else:
    print("note: wasm-interp (Debian's wabt) not installed; stripped-runtime case not run")

# an unknown runtime: no profile names it
cat = os.path.join(tmp, "mycat")
shutil.copy("/bin/cat", cat)
out = pp.tmpdir()
r = pp.phaseprof(["-x", cat, "-o", out, "--", module], text=False)
pp.check(r.returncode == 0, f"unknown runtime runs: {r.stderr}")
with open(module, "rb") as f:
    pp.check(r.stdout == f.read(), "its output passes through byte for byte")
doc = pp.load_json(os.path.join(out, "phases.json"))
pp.check("no profile names a binary called 'mycat'" in doc["fallback"]["why"], f"why: {doc['fallback']}")
pp.check(doc["runtime"]["name"] == "generic", "the built-in generic profile")

# node under --generic: JIT code is seen
if shutil.which("node"):
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", "node", "--generic", "-o", out, "--", pp.EXAMPLE_WASM, "25"])
    pp.check(r.returncode == 0, f"node --generic: {r.stderr}")
    doc = pp.load_json(os.path.join(out, "phases.json"))
    pp.check(doc["fallback"]["why"] == "--generic", "why: --generic")
    pp.check(doc["fallback"]["jit_ns"] is not None, f"node's JIT code seen: {doc['fallback']}")
    pp.check(doc["fallback"]["module_open_ns"] is not None, "node read the module")

# nothing that looks like a module: everything is unknown
out = pp.tmpdir()
r = pp.phaseprof(["-x", cat, "-o", out, "--"], input="")
doc = pp.load_json(os.path.join(out, "phases.json"))
ph = {p["name"]: p for p in doc["phases"]}
pp.check(doc["fallback"]["module"] is None, "no module")
pp.near(ph["unknown"]["wall_ns"], doc["wall_ns"], doc["wall_ns"] * 0.01, "the whole run is unknown")
pp.done()
