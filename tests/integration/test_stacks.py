"""Stacks per phase: stacks.folded follows the folded grammar, its per-phase
totals agree with phases.json, a process that exits within 100 ms is fully
symbolized, and on node the phases hold the frames they should: wasm JIT code
under [execute], Liftoff (main thread) and TurboFan (workers) under [compile]."""
import os
import re
import xml.etree.ElementTree as ET
import pp

pp.need_root()
PHASES = ["startup", "load", "compile", "instantiate", "execute", "teardown"]
LINE = re.compile(r"^(\S[^\n]*) (\d+)$")


def folded(out):
    lines = []
    with open(os.path.join(out, "stacks.folded")) as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            pp.check(m, f"folded grammar: {raw!r}")
            if m:
                lines.append((m.group(1).split(";"), int(m.group(2))))
    return lines


def record(args, **kw):
    out = pp.tmpdir()
    r = pp.phaseprof(["-o", out] + args, **kw)
    pp.check(r.returncode == 0, f"{args}: exit {r.returncode}\n{r.stderr}")
    return out, pp.load_json(os.path.join(out, "phases.json"))


# a short-lived process: about 70 ms from exec to exit (longer only on a busy
# machine), every frame named
out, doc = record(["-x", pp.PHASETEST, "-F", "4999", "--", "load=5", "execute=60:busy"])
pp.check(doc["wall_ns"] < 1e9, f"the run is short: {doc['wall_ns'] / 1e6:.1f} ms")
stacks = folded(out)
pp.check(stacks, "samples were taken")
execute = [(f, c) for f, c in stacks if f[1] == "[execute]"]
# samples come with CPU time: expect most of what execute's CPU time allows
ex = {p["name"]: p for p in doc["phases"]}["execute"]
want = ex["cpu_ns"] / 1e9 * 4999
pp.check(sum(c for _, c in execute) > 0.5 * want and want > 20,
         f"execute samples: {sum(c for _, c in execute)} for {ex['cpu_ns'] / 1e6:.1f} ms of CPU")
for frames, count in execute:
    pp.check(frames[0] == "phasetest", f"process frame first: {frames[0]}")
    user = [f for f in frames[2:] if not f.endswith("_[k]")]
    # a sample in the uretprobe trampoline ([uprobes]): pt_execute is returning
    returning = user[-1:] == ["[uprobes]"]
    pp.check("main" in user and ("pt_execute" in user or returning),
             f"execute stack reaches main: {frames}")
    unknown = [f for f in user if f.startswith("[") and f not in ("[vdso]", "[uprobes]")]
    pp.check(not unknown, f"every user frame named: {unknown} in {frames}")

# per-phase totals agree with phases.json; the phase frame is one of the phases
totals = {p: 0 for p in PHASES}
for frames, count in stacks:
    pp.check(frames[1].strip("[]") in PHASES, f"phase frame: {frames[1]}")
    totals[frames[1].strip("[]")] += count
for p in doc["phases"]:
    pp.check(p["samples"] == totals[p["name"]],
             f"{p['name']}: phases.json says {p['samples']} samples, stacks.folded {totals[p['name']]}")
pp.check(doc["samples"]["total"] == sum(totals.values()), "sample totals agree")
pp.check(doc["samples"]["lost"] == 0, "no samples lost")

# the flame graph is there and is an SVG
svg = ET.parse(os.path.join(out, "flamegraph.svg")).getroot()
pp.check(svg.tag.endswith("svg"), "flamegraph.svg is an SVG")

# frames can be left out
out2, _ = record(["-x", pp.PHASETEST, "--no-phase-frame", "--no-process-frame", "--", "execute=50:busy"])
for frames, _ in folded(out2):
    pp.check(frames[0] != "phasetest" and frames[0].strip("[]") not in PHASES, f"no process or phase frame: {frames[:2]}")
out3, _ = record(["-x", pp.PHASETEST, "--no-phase-frame", "--", "execute=50:busy"])
pp.check(all(f[0] == "phasetest" and f[1].strip("[]") not in PHASES for f, _ in folded(out3)), "process frame only")
out4, doc4 = record(["-x", pp.PHASETEST, "-F", "0", "--", "execute=20"])
pp.check(not os.path.exists(os.path.join(out4, "stacks.folded")) and "samples" not in doc4, "-F 0 samples nothing")

# node: JIT frames under execute; Liftoff on the main thread and TurboFan on workers under compile
funcs = os.path.join(pp.BUILD_DIR, "examples", "funcs.wasm")
if not pp.run(["which", "node"]).stdout or not os.path.exists(funcs):
    print("note: node or funcs.wasm missing; node checks not run")
    pp.done()
logs_before = {f for f in os.listdir(".") if f.startswith("isolate-")}
liftoff_main = turbofan_worker = jit_execute = False
for attempt in range(4):
    out, doc = record(["-x", "node", "-F", "9999", "--", funcs])
    for frames, count in folded(out):
        text = ";".join(frames)
        if frames[1] == "[execute]" and any(f.endswith("_[j]") and f.startswith("JS:") for f in frames):
            jit_execute = True
        if frames[1] == "[compile]" and "Liftoff" in text and "node::Start" in text:
            liftoff_main = True
        if frames[1] == "[compile]" and "Turbofan" in text.replace("TurboFan", "Turbofan") and "start_thread" in text:
            turbofan_worker = True
    if liftoff_main and turbofan_worker and jit_execute:
        break
pids = {t["pid"] for t in doc["threads"]}
pp.check(not any(os.path.exists(f"/tmp/perf-{p}.map") for p in pids),
         "the perf map the profile turned on is removed once read")
pp.check({f for f in os.listdir(".") if f.startswith("isolate-")} == logs_before,
         "no V8 log left in the cwd")
pp.check(any(f.endswith("_[k]") for frames, _ in folded(out) for f in frames),
         "node: samples taken in the kernel have kernel frames (_[k])")
pp.check(jit_execute, "node: [execute] reaches wasm JIT frames (JS:..._[j])")
pp.check(liftoff_main, "node: [compile] holds Liftoff frames on the main thread")
pp.check(turbofan_worker, "node: [compile] holds TurboFan frames on a worker thread")
pp.done()
