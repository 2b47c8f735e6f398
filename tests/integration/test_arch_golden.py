"""Golden outputs of a recorded example (issue 11): phasetest under both
backends, with what varies from run to run taken out: timings, sample counts,
paths and build ids in phases.json; in stacks.folded, the counts and the frames
inside the busy loop (clock_gettime, the vDSO), which depend on where each
sample happened to land. What is left (phases, intervals, threads, probe hits,
the shape of every busy stack) must not change with a refactor.

PHASEPROF_GOLDEN_UPDATE=1 rewrites the expected files instead of comparing."""
import json
import os
import pp

pp.need_root()
GOLDEN = os.path.join(pp.SOURCE_DIR, "tests", "golden")
STEPS = ["load=30", "compile=100:busy:2", "instantiate=20", "lazy=80:busy", "execute=120:busy",
         "print=done"]
VARYING = {"wall_ns", "cpu_ns", "main_thread_ns", "samples", "build_id", "user_ns", "system_ns",
           "total", "no_user_stack", "stacks", "named_frames", "unknown_frames", "complete",
           "complete_stacks", "truncated", "lost", "events", "start_ns", "end_ns", "pid", "tid",
           # phaseprof's own cost (phases.json "profiler")
           "bpf_run_ns", "bpf_runs", "run_cpu_ns", "bpf_cpu_share"}
MIN_BUSY_SAMPLES = 8
# dicts whose keys are stable but whose values are all times
TIMES = {"phase_ns", "phase_cpu_ns"}


def normalize_json(doc):
    """Drop what varies between runs; keep every key, so a key added or lost shows."""
    if isinstance(doc, dict):
        return {k: ("*" if k in VARYING and not isinstance(v, (dict, list)) else
                    {p: "*" for p in v} if k in TIMES else normalize_json(v))
                for k, v in doc.items()}
    if isinstance(doc, list):
        return [normalize_json(v) for v in doc]
    if isinstance(doc, str) and doc.startswith("/"):
        return os.path.basename(doc)
    return doc


def normalize_folded(text):
    """The busy stacks, cut after the innermost phase function (pt_*), without counts:
    below it, the busy loop's frames depend on where a sample landed, and
    spend() is inlined or not. A sleeping phase's few samples (entering or
    leaving nanosleep) come and go: a busy stretch of 30 ms or more has dozens."""
    count = {}
    for line in text.splitlines():
        stack, n = line.rsplit(" ", 1)
        frames = stack.split(";")
        pt = [i for i, f in enumerate(frames) if f.startswith("pt_")]
        if pt:
            key = ";".join(frames[:pt[-1] + 1])
            count[key] = count.get(key, 0) + int(n)
    return "".join(s + "\n" for s in sorted(count) if count[s] >= MIN_BUSY_SAMPLES)


def compare(name, got):
    path = os.path.join(GOLDEN, name)
    if os.environ.get("PHASEPROF_GOLDEN_UPDATE"):
        with open(path, "w") as f:
            f.write(got)
        return
    with open(path) as f:
        want = f.read()
    if not pp.check(got == want, f"{name} differs from the golden file"):
        print(f"--- expected ({path})\n{want}--- got\n{got}")


def record(backend, freq):
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", pp.PHASETEST, "--backend", backend, "-F", str(freq),
                      "--call-graph", "fp", "-o", out, "--"] + STEPS)
    pp.check(r.returncode == 0, f"{backend}: exit status {r.returncode}; stderr:\n{r.stderr}")
    return out


out = record("bpf", 999)
doc = normalize_json(pp.load_json(os.path.join(out, "phases.json")))
compare("arch-phasetest-bpf.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")
with open(os.path.join(out, "stacks.folded")) as f:
    compare("arch-phasetest-bpf.stacks", normalize_folded(f.read()))

out = record("perf", 0)
doc = normalize_json(pp.load_json(os.path.join(out, "phases.json")))
compare("arch-phasetest-perf.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")
pp.done()
