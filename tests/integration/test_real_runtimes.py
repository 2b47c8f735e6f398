"""The matrix: every real runtime build in $PHASEPROF_RUNTIMES (a directory of
binaries built from each project's sources with its own build system; none is
committed) runs each example app under phaseprof and bare. For each pair:
stdout, stderr and exit status are identical to the bare run of the same
command; every phase the profile requires is seen with wall > 0 from its
probes; the main thread's phases add up to the run within 1%; no required
phase is unresolved; the generic fallback is not used. Binaries that no
profile names are listed and left out. An AOT compiler (wamrc, wasmedgec: a
profile without execute) compiles each app, timed from its probes, into the
same file a bare run makes; its output then runs as an app of its own on the
runtime that takes it (iwasm; wasmedge-llvm with --run-mode=aot), which must
name the AOT origin and say the AOT code ran. Every run that can tell names
its engine: AOT code, JIT or interpreter."""
import json
import os
import re
import pp

runtimes = pp.real_runtimes()
pp.need_root()
EX = os.path.join(pp.BUILD_DIR, "examples")
# (name, args after the module, sample stacks?): arguments and a non-zero exit,
# a trap, many functions, a longer compute; one run samples stacks as users do
APPS = [
    ("args", ["args.wasm", "3", "two words", "x"], False),
    ("trap", ["trap.wasm"], False),
    ("funcs", ["funcs.wasm"], False),
    ("primes", ["primes.wasm", "1000000", "2"], False),
    ("fib", ["fib.wasm", "24"], True),
]


def profile_of(path):
    """The runtime's profile facts from `phaseprof runtimes --json`, or None without one."""
    r = pp.phaseprof(["runtimes", "--json", "--no-version", path],
                     env={"PHASEPROF_PROBE_PATH": ""})
    if r.returncode == 67:
        return None
    doc = json.loads(r.stdout)[0]
    optional = set(doc["optional_phases"])
    named = {s["phase"] for s in doc["sites"]}
    return {"name": doc["profile"], "required": named - optional, "optional": optional,
            "compiler": "execute" not in named}


# WasmEdge's log lines carry the wall-clock time: the one part of a run's output
# that differs between two runs; compared without it
CLOCK = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\] ", re.M)


def same_text(a, b):
    return CLOCK.sub("[time] ", a) == CLOCK.sub("[time] ", b)


def runtime_stderr(text):
    """The runtime's own stderr: phaseprof's lines and its closing report taken out."""
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith("phaseprof: ") and (" exited with status " in line or
                                               " killed by signal " in line):
            break
        if not line.startswith("phaseprof: "):
            out.append(line)
    return "".join(out)


# the engine each build runs a plain module on (None: its profile cannot tell)
ENGINE = {"iwasm": "interpreter", "iwasm-fast-jit": "jit", "wasmedge": "interpreter",
          "wasmedge-llvm": "interpreter"}


def one(name, path, prof, app, args, sample, argv=None, kind="wasm"):
    what = f"{name} × {app}"
    out = pp.tmpdir()
    argv = argv or [os.path.join(EX, args[0])] + args[1:]
    traced = pp.phaseprof(["-x", path, "-o", out] + ([] if sample else ["-F", "0"]) +
                          ["--"] + argv, env={"PHASEPROF_PROBE_PATH": ""}, timeout=240)
    jpath = os.path.join(out, "phases.json")
    if not pp.check(os.path.exists(jpath), f"{what}: no phases.json; stderr:\n{traced.stderr}"):
        return
    doc = pp.load_json(jpath)
    bare = pp.run(doc["command"], timeout=240)
    bare_rc = 128 - bare.returncode if bare.returncode < 0 else bare.returncode
    pp.check(same_text(traced.stdout, bare.stdout),
             f"{what}: stdout differs: {traced.stdout[-300:]!r} vs bare {bare.stdout[-300:]!r}")
    pp.check(same_text(runtime_stderr(traced.stderr), bare.stderr),
             f"{what}: stderr differs: {runtime_stderr(traced.stderr)[-300:]!r} vs bare "
             f"{bare.stderr[-300:]!r}")
    pp.check(traced.returncode == bare_rc,
             f"{what}: exit {traced.returncode}, bare {bare_rc}\n{traced.stderr}")
    pp.check(doc["fallback"] is None, f"{what}: generic fallback used: {doc['fallback']}")
    pp.check(doc.get("module_kind") == kind, f"{what}: module kind {doc.get('module_kind')}")
    engine = ENGINE.get(name) if kind == "wasm" else "aot"
    pp.check(engine is None or doc.get("engine") == engine,
             f"{what}: engine {doc.get('engine')}, expected {engine}")
    pp.check(not doc.get("aot_code_not_run"), f"{what}: AOT code not run")
    phases = {p["name"]: p for p in doc["phases"]}
    for ph in sorted(prof["required"]):
        p = phases.get(ph, {})
        pp.check(not p.get("unresolved") and (p.get("wall_ns") or 0) > 0,
                 f"{what}: required phase {ph} not seen: {p}")
    for s in doc["probes"]:
        pp.check(s["status"] != "unresolved" or s["phase"] in prof["optional"],
                 f"{what}: site unresolved: {s['site']}: {s.get('why')}")
    # the main thread's phases add up to its life, which is the run unless another
    # thread ends the process (WasmEdge's execute thread calls exit on proc_exit)
    main = sum(p["main_thread_ns"] for p in doc["phases"])
    t = [t for t in doc["threads"] if t["tid"] == t["pid"]][0]
    life = t["end_ns"] - t["start_ns"]
    pp.near(main, life, life * 0.01, f"{what}: main thread phases sum to its life")
    pp.check(life >= doc["wall_ns"] * 0.99 or len(doc["threads"]) > 1,
             f"{what}: a single-threaded run's main thread lives the whole run")
    print(f"{what}: exit {traced.returncode}, wall {doc['wall_ns'] / 1e6:.1f} ms, " +
          ", ".join(f"{p['name']} {p['wall_ns'] / 1e6:.2f}" for p in doc["phases"]
                    if p["wall_ns"] is not None))


def non_wasi(name, path):
    """wasm-interp runs a module without WASI imports with --run-all-exports, not --wasi."""
    tmp = pp.tmpdir()
    wat, wasm = os.path.join(tmp, "answer.wat"), os.path.join(tmp, "answer.wasm")
    with open(wat, "w") as f:
        f.write('(module (func (export "answer") (result i32) i32.const 42))')
    if pp.run(["wat2wasm", wat, "-o", wasm]).returncode:
        print("note: wat2wasm failed; non-WASI case not run")
        return
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", path, "-o", out, "-F", "0", "--", wasm], env={"PHASEPROF_PROBE_PATH": ""})
    doc = pp.load_json(os.path.join(out, "phases.json"))
    pp.check(r.returncode == 0 and r.stdout == "answer() => i32:42\n", f"{name} non-WASI: {r.stdout!r}")
    pp.check("--run-all-exports" in doc["command"] and "--wasi" not in doc["command"],
             f"{name} non-WASI command {doc['command']}")


# an AOT compiler's command line, and the runtime (with its flags) that runs the output
def compiler_argv(prof, src, aot):
    return [src, aot] if prof["name"] == "wasmedgec" else ["-o", aot, src]


def aot_runner(prof):
    if prof["name"] == "wasmedgec":
        return "wasmedge-llvm", ["--run-mode=aot"], "native"
    return "iwasm", [], "wamr-aot"


def compiler(name, path, prof):
    """An AOT compiler (a profile without execute): compile each app, timed, into
    the same file a bare run makes; then the AOT file runs on the runtime that
    takes it, as an app of its own."""
    tmp = pp.tmpdir()
    ext = ".so" if prof["name"] == "wasmedgec" else ".aot"
    # funcs' thousand functions take LLVM minutes on a loaded machine: left out
    for app, args, _ in [a for a in APPS if a[0] != "funcs"]:
        src = os.path.join(EX, args[0])
        aot = os.path.join(tmp, app + ext)
        out = pp.tmpdir()
        r = pp.phaseprof(["-x", path, "-o", out, "-F", "0", "--"] + compiler_argv(prof, src, aot),
                         env={"PHASEPROF_PROBE_PATH": ""}, timeout=240)
        with open(aot, "rb") as f:
            traced_aot = f.read()
        # the bare run writes the same file (its message names it)
        b = pp.run([path] + compiler_argv(prof, src, aot), timeout=240)
        pp.check(r.returncode == b.returncode == 0, f"{name} {app}: {r.returncode}/{b.returncode} {r.stderr}")
        pp.check(same_text(r.stdout, b.stdout), f"{name} {app}: stdout differs")
        doc = pp.load_json(os.path.join(out, "phases.json"))
        ph = {p["name"]: p for p in doc["phases"]}
        pp.check(doc["fallback"] is None, f"{name} {app}: fallback")
        for p in sorted(prof["required"]):
            pp.check((ph[p]["wall_ns"] or 0) > 0, f"{name} {app}: {p} not seen: {ph[p]}")
        with open(aot, "rb") as f:
            pp.check(f.read() == traced_aot, f"{name} {app}: the {ext} differs from the bare run's")
        print(f"{name} × {app}: compile {ph['compile']['wall_ns'] / 1e6:.1f} ms")
        rt, flags, kind = aot_runner(prof)
        if rt in runtimes:
            one(rt, runtimes[rt], profile_of(runtimes[rt]), app + ext, args, False,
                argv=flags + [aot] + args[1:], kind=kind)


for name, path in runtimes.items():
    prof = profile_of(path)
    if prof is None:
        print(f"{name}: no profile names it; left out of the matrix")
        continue
    if prof["compiler"]:
        compiler(name, path, prof)
        continue
    for app, args, sample in APPS:
        one(name, path, prof, app, args, sample)
    if prof["name"] == "wasm-interp":
        non_wasi(name, path)
pp.done()
