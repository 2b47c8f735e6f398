"""phaseprof on node with the bundled example app: every phase is seen, the
main thread's phases add up to the run, and node's output is unchanged."""
import os
import pp

pp.need_root()
node = pp.need_program("node")
if not os.path.exists(pp.EXAMPLE_WASM):
    pp.skip(f"{pp.EXAMPLE_WASM} was not built")

out = pp.tmpdir()
r = pp.phaseprof(["-x", "node", "-o", out, "--", pp.EXAMPLE_WASM, "27"])
pp.check(r.returncode == 0, f"exit {r.returncode}\n{r.stderr}")
runner = os.path.join(pp.SOURCE_DIR, "probes", "node-wasi.cjs")
bare = pp.run([node, "--experimental-wasi-unstable-preview1", "--no-warnings", runner, pp.EXAMPLE_WASM, "27"])
pp.check(r.stdout == bare.stdout and "fib(27) = 196418" in r.stdout, f"stdout {r.stdout!r} vs {bare.stdout!r}")

doc = pp.load_json(os.path.join(out, "phases.json"))
ph = {p["name"]: p for p in doc["phases"]}
for name in ("load", "compile", "instantiate", "execute"):
    pp.check(ph[name]["wall_ns"] > 0, f"{name} wall_ns > 0: {ph[name]}")
main_sum = sum(p["main_thread_ns"] for p in doc["phases"])
# the main thread's life (other threads may outlive it, the longer on a busy machine)
main_thr = [t for t in doc["threads"] if t["tid"] == t["pid"] == doc["threads"][0]["pid"]][0]
main_life = main_thr["end_ns"] - main_thr["start_ns"]
pp.near(main_sum, main_life, main_life * 0.01, "main thread's phases add up to its life")
pp.check(doc["runtime"]["name"] == "node", "profile chosen by name")
pp.check(doc["runtime"]["version"] and doc["runtime"]["version"].startswith("v"), f"version {doc['runtime']['version']}")
pp.check(len(doc["runtime"]["build_id"] or "") == 40, "build id")
pp.check(doc["lost_events"] == 0, "no lost events")
# lazy compilation: Liftoff compiles inside execute, on the main thread
hits = {p["site"]: p["hits"] for p in doc["probes"]}
lazy = [h for s, h in hits.items() if "WasmCompileLazy" in s]
pp.check(lazy and lazy[0] > 0, f"lazy compiles seen: {hits}")
pp.check(ph["compile"]["intervals"] > 1, "compile is many intervals")

# a non-zero exit of the wasm app is node's exit status, and phaseprof's
failing = os.path.join(out, "args.txt")
r = pp.phaseprof(["-x", "node", "--", os.path.join(out, "missing.wasm")])
pp.check(r.returncode == 1, f"node's own failure status passes through: {r.returncode}")
pp.done()
