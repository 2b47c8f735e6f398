"""phaseprof compare -x node,wasm-interp on a non-WASI module (Debian's
wasm-interp has no WASI): node's runner calls every export like
`wasm-interp --run-all-exports`, so both print the same stdout. The JSON has
per-runtime, per-phase medians; a runtime that cannot be ranked (Debian's
wasm-interp is stripped: it runs under the generic fallback) is excluded
with the reason and the others go on. The defects of issue 15 are tested
in test_compare_defects.py; the real runtimes of PHASEPROF_RUNTIMES, when
there, are compared at the end."""
import os
import shutil
import pp

pp.need_root()
pp.need_program("node")
interp = shutil.which("wasm-interp")
clang = pp.need_program("clang")

work = pp.tmpdir()
src = os.path.join(work, "app.c")
app = os.path.join(work, "app.wasm")
with open(src, "w") as f:
    f.write("static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n"
            "int run(void) { return fib(22); }\n"
            "long long big(void) { return 1234567890123LL; }\n")
r = pp.run([clang, "--target=wasm32", "-O1", "-nostdlib", "-Wl,--no-entry",
            "-Wl,--export=run", "-Wl,--export=big", "-o", app, src])
if r.returncode:
    pp.skip(f"clang cannot build wasm32 here: {r.stderr.strip()}")

runtimes = ["node"] + (["wasm-interp"] if interp else [])
out = os.path.join(work, "cmp")
r = pp.phaseprof(["compare", "-x", ",".join(runtimes), "-n", "3", "--warmup", "1", "-o", out,
                  "--", app])
doc = pp.load_json(os.path.join(out, "compare.json"))
rts = {x["name"]: x for x in doc["runtimes"]}
pp.check(doc["runs"] == 3 and doc["warmup"] == 1, "runs and warm-up recorded")
pp.check(set(rts) == set(runtimes), f"runtimes {list(rts)}")

node = rts["node"]
pp.check(node["failures"] == 0 and node["runs"] == 3, f"node ran 3 times: {node}")
for ph in ("startup", "load", "compile", "instantiate", "execute", "teardown", "run"):
    st = node["phases"][ph]
    pp.check(st["n"] == 3 and len(st["samples_ms"]) == 3, f"node {ph}: 3 samples")
    pp.check(st["min_ms"] <= st["median_ms"] <= st["max_ms"], f"node {ph}: min <= median <= max")
    pp.check(st["mad_ms"] >= 0, f"node {ph}: spread")
pp.check(node["phases"]["execute"]["median_ms"] > 0, "node execute median > 0")
pp.check(node["phases"]["run"]["median_ms"] > node["phases"]["execute"]["median_ms"],
         "the run is longer than execute")
pp.check(doc["exit_status"] == 0, f"exit status {doc['exit_status']}")
with open(os.path.join(out, "runs", "b1", "app", "node", "run-0", "stdout")) as f:
    pp.check(f.read() == "run() => i32:17711\nbig() => i64:1234567890123\n",
             "node printed what wasm-interp --run-all-exports prints")

with open(os.path.join(out, "compare.csv")) as f:
    rows = f.read().splitlines()
pp.check(rows[0].startswith("runtime,phase,measured,n,median_ms"), "csv header")
pp.check(any(row.startswith("node,execute,1,3,") for row in rows), "csv has node's execute")

if interp:
    wi = rts["wasm-interp"]
    # both ran and printed the same; Debian's stripped wasm-interp ran under the
    # generic fallback, so it is excluded from the ranking, with the reason
    pp.check(wi["runs"] == 3 and wi["phases"]["run"]["median_ms"] > 0, f"wasm-interp medians: {wi}")
    pp.check(doc["outputs_match"] and not wi["mismatch"], "outputs match")
    if wi["excluded"]:
        pp.check("generic fallback" in wi["excluded"], f"why wasm-interp is not ranked: {wi['excluded']}")
        pp.check(f"excluded: wasm-interp: {wi['excluded']}" in r.stdout, "said on stdout")
    pp.check(r.returncode == 0, f"exit {r.returncode}\n{r.stderr}")

# one runtime, one run, no warm-up
r2 = pp.phaseprof(["compare", "-x", "node", "-n", "1", "--warmup", "0", "-o",
                   os.path.join(work, "cmp2"), "--", app, "extra-arg"])
pp.check(r2.returncode == 0, f"one runtime, one run: {r2.returncode}\n{r2.stderr}")
doc2 = pp.load_json(os.path.join(work, "cmp2", "compare.json"))
pp.check(doc2["outputs_match"], "a single runtime matches itself")

r3 = pp.phaseprof(["compare", "-x", "node", "--", ])
pp.check(r3.returncode == 64 and "no app given" in r3.stderr, f"usage: {r3.returncode} {r3.stderr}")

# ---- real runtimes, when PHASEPROF_RUNTIMES has them: the same app, ranked ----
rdir = os.environ.get("PHASEPROF_RUNTIMES")
real = [os.path.join(rdir, n) for n in ("wasm3", "iwasm", "wasm-interp", "wasmedge")
        if rdir and os.access(os.path.join(rdir, n), os.X_OK)]
if len(real) < 2:
    print(f"SKIP (part): comparing real runtimes needs two of wasm3, iwasm, wasm-interp, "
          f"wasmedge in PHASEPROF_RUNTIMES (now {rdir!r}); have {real}")
else:
    sieve = os.path.join(pp.BUILD_DIR, "examples", "suite", "sieve.wasm")
    out = os.path.join(work, "real")
    r = pp.phaseprof(["compare", "-x", ",".join(real), "-n", "3", "--warmup", "1", "-F", "0",
                      "-o", out, "--", sieve, "200000"])
    doc = pp.load_json(os.path.join(out, "compare.json"))
    ok = [x for x in doc["runtimes"] if not x["excluded"]]
    for x in doc["runtimes"]:
        print(f"  {x['name']}: run {x['phases']['run']['median_ms']:.2f} ms, "
              f"excluded: {x['excluded']}")
    pp.check(all(x["failures"] == 0 for x in doc["runtimes"]), f"every real run ran: {r.stderr}")
    pp.check(len(ok) < 2 or doc["ranked"], f"two clean runtimes or more: ranked ({len(ok)} clean)")
    for x in ok:
        others = [y["phases"]["run"]["median_ms"] for y in ok if y is not x]
        want = x["phases"]["run"]["median_ms"] / (sum(others) / len(others))
        pp.check(abs(x["phases"]["run"]["ratio"] - want) <= 1e-3 * want,
                 f"{x['name']}: run ratio against the others' mean ({want:.3f})")
pp.done()
