"""AOT pipelines on the real builds of $PHASEPROF_RUNTIMES (SKIP without them):
the compilers (wamrc; wasmedgec-llvm and `wasmedge-llvm compile`) report a
compile phase > 0 from their probes, with one per-function site hit per
function; their outputs run on iwasm and wasmedge-llvm (--run-mode=aot) with
load, instantiate and execute from probes, the AOT origin named, the engine
"aot", and the same output as bare; a universal wasm run without
--run-mode=aot is reported as interpreted, with the warning. Then `suite run
-x iwasm,iwasm:aot[,wasmedge-llvm,wasmedge-llvm:aot]`: the compile step of
each variant is a runtime of its own (compile > 0, not ranked), the variant's
runs sit beside the plain runtime's with the same output, and a second batch
reuses the compiled module from DIR/aot-cache and says so. Small apps only:
LLVM compiles are slow on a loaded machine."""
import json
import os
import re
import shutil
import pp

runtimes = pp.real_runtimes()
pp.need_root()
EX = os.path.join(pp.BUILD_DIR, "examples")
ENV = {"PHASEPROF_PROBE_PATH": ""}
CLOCK = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\] .*\n", re.M)
ARGS = ["3", "two words", "x"]  # args.wasm's arguments: it exits 3
tmp = pp.tmpdir()
src = os.path.join(EX, "args.wasm")


def record(rt, argv, what):
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", runtimes[rt], "-o", out, "-F", "0", "--no-fallback"] + argv,
                     env=ENV, timeout=300)
    path = os.path.join(out, "phases.json")
    if not pp.check(os.path.exists(path), f"{what}: no phases.json: {r.stderr}"):
        return r, None
    doc = pp.load_json(path)
    pp.check(doc["fallback"] is None, f"{what}: fallback")
    return r, doc


def phases(doc):
    return {p["name"]: p["wall_ns"] or 0 for p in doc["phases"]}


def hits(doc, fn):
    return sum(s["hits"] for s in doc["probes"] if fn in s["site"])


def compiled(rt, argv, per_function, what):
    """A compiler's run: compile > 0 from probes, each function a hit."""
    r, doc = record(rt, ["--"] + argv, what)
    if doc is None:
        return
    pp.check(r.returncode == 0, f"{what}: exit {r.returncode}: {r.stderr}")
    pp.check(phases(doc)["compile"] > 0, f"{what}: compile not seen: {doc['phases']}")
    pp.check(hits(doc, per_function) > 0, f"{what}: {per_function} never fired")
    pp.check(phases(doc)["execute"] == 0, f"{what}: a compiler executes nothing")
    print(f"{what}: compile {phases(doc)['compile'] / 1e6:.1f} ms, "
          f"{hits(doc, per_function)} functions compiled")


def ran_aot(rt, flags, module, kind, what):
    """The compiled module on its runtime: phases from probes, origin, engine, output."""
    r, doc = record(rt, ["--"] + flags + [module] + ARGS, what)
    if doc is None:
        return
    bare = pp.run([runtimes[rt]] + flags + [module] + ARGS)
    pp.check(r.returncode == bare.returncode == 3, f"{what}: exit {r.returncode}/{bare.returncode}")
    pp.check(r.stdout == bare.stdout, f"{what}: stdout {r.stdout!r} vs bare {bare.stdout!r}")
    ph = phases(doc)
    for p in ("load", "instantiate", "execute"):
        pp.check(ph[p] > 0, f"{what}: {p} not seen: {doc['phases']}")
    pp.check(doc["module_kind"] == kind, f"{what}: module_kind {doc['module_kind']}")
    pp.check(doc["engine"] == "aot" and not doc["aot_code_not_run"],
             f"{what}: engine {doc['engine']}, not run {doc['aot_code_not_run']}")
    pp.check("engine: AOT code" in r.stderr, f"{what}: the report names no engine:\n{r.stderr}")
    print(f"{what}: " + ", ".join(f"{k} {v / 1e6:.2f}" for k, v in ph.items() if v))


have_wamr = "wamrc" in runtimes and "iwasm" in runtimes
have_wasmedge = "wasmedgec-llvm" in runtimes and "wasmedge-llvm" in runtimes
if not have_wamr and not have_wasmedge:
    pp.skip("neither wamrc+iwasm nor wasmedgec-llvm+wasmedge-llvm in PHASEPROF_RUNTIMES")

if have_wamr:
    aot = os.path.join(tmp, "args.aot")
    compiled("wamrc", ["-o", aot, src], "aot_compile_func", "wamrc")
    ran_aot("iwasm", [], aot, "wamr-aot", "iwasm .aot")
    r, doc = record("iwasm", ["--", src] + ARGS, "iwasm .wasm")
    if doc:
        pp.check(doc["engine"] == "interpreter", f"iwasm .wasm: engine {doc['engine']}")

if have_wasmedge:
    so, uni = os.path.join(tmp, "args.so"), os.path.join(tmp, "args_u.wasm")
    compiled("wasmedgec-llvm", [src, so], "compileFunctionBody", "wasmedgec")
    compiled("wasmedgec-llvm", [src, uni], "compileFunctionBody", "wasmedgec universal")
    # `wasmedge compile` is the same compiler behind the runtime's binary
    probe = os.path.join(pp.SOURCE_DIR, "probes", "wasmedgec.probe")
    so2 = os.path.join(tmp, "args2.so")
    r, doc = record("wasmedge-llvm", ["--probes", probe, "--", "compile", src, so2],
                    "wasmedge compile")
    if doc:
        pp.check(r.returncode == 0 and phases(doc)["compile"] > 0 and phases(doc)["load"] > 0,
                 f"wasmedge compile: {r.returncode} {doc['phases']}")
    ran_aot("wasmedge-llvm", ["--run-mode=aot"], so, "native", "wasmedge-llvm .so")
    ran_aot("wasmedge-llvm", ["--run-mode=aot"], uni, "wasmedge-aot", "wasmedge-llvm universal")
    # without --run-mode=aot this WasmEdge interprets the universal wasm: said so
    r, doc = record("wasmedge-llvm", ["--", uni] + ARGS, "wasmedge-llvm universal, interpreted")
    if doc:
        pp.check(doc["engine"] == "interpreter" and doc["aot_code_not_run"],
                 f"interpreted universal wasm: engine {doc['engine']}")
        pp.check("did not load it" in r.stderr, f"no warning:\n{r.stderr}")

# ---- suite: compile-then-run variants beside the plain runtimes ----
cases = pp.tmpdir()
shutil.copy(src, os.path.join(cases, "args.wasm"))
spec = []
if have_wamr:
    spec += [runtimes["iwasm"], runtimes["iwasm"] + ":aot"]
if have_wasmedge:
    spec += [runtimes["wasmedge-llvm"], runtimes["wasmedge-llvm"] + ":aot"]
out = pp.tmpdir()


def suite_batch():
    r = pp.phaseprof(["suite", "run", "-x", ",".join(spec), "-n", "1", "--warmup", "0",
                      "-o", out, cases], env=ENV, timeout=600)
    pp.check(r.returncode == 0, f"suite run: {r.returncode}: {r.stderr}")
    rep = pp.phaseprof(["suite", "report", "--format", "json", out], env=ENV)
    pp.check(rep.returncode == 0, f"suite report: {rep.stderr}")
    doc = json.loads(rep.stdout)
    return r, {c["runtime"]: c for c in doc["cases"][0]["runtimes"]}


def check_suite(cells, cached, what):
    for base in [os.path.basename(s) for s in spec if not s.endswith(":aot")]:
        comp, var, plain = cells.get(base + ":aot-compile"), cells.get(base + ":aot"), cells.get(base)
        if not pp.check(comp and var and plain, f"{what}: {base}: cells {sorted(cells)}"):
            continue
        pp.check(comp["phases"]["compile"]["median_ms"] > 0, f"{what}: {base} compile time")
        pp.check(not comp["excluded"] and not var["excluded"] and not plain["excluded"],
                 f"{what}: {base}: excluded {comp['excluded']} {var['excluded']} {plain['excluded']}")
        pp.check(var["runs"] == plain["runs"] == 1, f"{what}: {base} runs")
        pp.check(bool(comp["aot_cache"]) == cached, f"{what}: {base} aot_cache {comp['aot_cache']}")
        print(f"{what}: {base}: compile {comp['phases']['compile']['median_ms']:.1f} ms; run "
              f"{plain['phases']['run']['median_ms']:.1f} ms plain, "
              f"{var['phases']['run']['median_ms']:.1f} ms AOT")


r, cells = suite_batch()
check_suite(cells, False, "suite batch 1")
r, cells = suite_batch()
check_suite(cells, True, "suite batch 2")
pp.check("AOT cache" in r.stderr, f"suite batch 2: cache use not said: {r.stderr}")
text = pp.phaseprof(["suite", "report", out], env=ENV).stdout
pp.check("AOT compilation" in text, f"text report has no AOT section:\n{text}")

# ---- compare: the same variants, one app; compile times apart, runs side by side ----
def check_compare():
    out = pp.tmpdir()
    r = pp.phaseprof(["compare", "-x", ",".join(spec), "-n", "1", "--warmup", "0", "-o", out,
                      "--", src] + ARGS, env=ENV)
    pp.check(r.returncode == 0, f"compare: {r.returncode}: {r.stderr}")
    path = os.path.join(out, "compare.json")
    if not pp.check(os.path.exists(path), "compare.json written"):
        return
    with open(path) as f:
        names = {rt["name"]: rt for rt in json.load(f)["runtimes"]}
    for plain in [s_ for s_ in spec if not s_.endswith(":aot")]:
        base = os.path.basename(plain)
        comp = next((v for k, v in names.items() if k.endswith(":aot-compile") and
                     k.startswith(base)), None)
        var = next((v for k, v in names.items() if k.endswith(":aot") and k.startswith(base)),
                   None)
        if not pp.check(comp and var, f"compare: {base}: runtimes {sorted(names)}"):
            continue
        pp.check(comp["phases"]["compile"]["median_ms"] > 0, f"compare: {base}: compile time")
        pp.check(var["phases"]["execute"]["measured"] and
                 var["phases"]["execute"]["median_ms"] > 0, f"compare: {base}:aot execute")
    pp.check("aot-compile" in r.stdout + r.stderr, f"compare: no compile column:\n{r.stdout}")


if spec:
    check_compare()
pp.done()
