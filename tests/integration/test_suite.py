"""phaseprof suite: run, the store (checked with the sqlite3 CLI), report,
exclusions named with the runtime's first stderr line, a timeout, the gate,
and shards merged. The runtimes here are copies of tests/phasetest under
three names, each with its own profile: ptfast runs the case's steps, ptslow
sleeps 40 ms more inside execute (a lazy compile, which phasetest's own clock
times apart; ptslow30: 30 ms), ptbad fails (an unknown step). Sleeps, not busy
loops: on a loaded machine a spinning phase overshoots when preempted, a
sleeping one barely; the ranking and the gate are decided by the work, not by
the machine's load. The injected time is large against scheduling noise and
against phaseprof's own start-up (which a loaded machine stretches and which
is in each run's wall time), and the reported extra is compared with
phasetest's clock from the same runs. The last part runs the example suite on
node (and wasm3, iwasm from PHASEPROF_RUNTIMES when there)."""
import json
import os
import shutil
import statistics
import pp
import ppclock

pp.need_root()
sqlite3 = pp.need_program("sqlite3")
work = pp.tmpdir()
probes = os.path.join(work, "probes")
os.makedirs(probes)
rts = {}
for name, extra in (("ptfast", ""), ("ptslow", "lazy=40 "), ("ptbad", "no-such-step "),
                    ("ptslow30", "execute=30 "), ("ptspin", "execute=40:busy ")):
    rts[name] = os.path.join(work, name)
    shutil.copy(pp.PHASETEST, rts[name])
    with open(os.path.join(probes, name + ".probe"), "w") as f:
        f.write(f"profile {name}\nbinaries {name}\nargv {{runtime}} {extra}{{args}}\n"
                "phase load\n\tduring pt_load\nphase compile\n\tduring pt_compile\n"
                "phase instantiate\n\tduring pt_instantiate\nphase execute\n\tduring pt_execute\n")
ENV = {"PHASEPROF_PROBE_PATH": probes}
module = os.path.join(work, "m.wasm")
with open(module, "wb") as f:
    f.write(b"\0asm\1\0\0\0")
with open(os.path.join(work, "in.txt"), "w") as f:
    f.write("hello from stdin\n")


def suite(name, cases):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        for c, lines in cases:
            f.write(f"case {c}\n\tmodule m.wasm\n" + "".join(f"\t{x}\n" for x in lines))
    return path


def check_extra(path, extra_ms):
    """The reported extra of ptslow's execute in 'short' against phasetest's
    own clock from the same runs. In PATH, each ptslow run wrote its lazy
    compile's line ("compile") and then its execute line (less the compile), each ptfast run an execute line alone (ptbad
    none); round 0 is the warm-up, which the report leaves out. phaseprof's
    numbers lie between each call's inside and outside times, and the median
    keeps that order."""
    lines = []
    with open(path) as f:
        for line in f:
            name, *vals = line.split()
            lines.append((name, [int(v) for v in vals]))
    slow, fast = [], []
    i = 0
    while i < len(lines):
        if lines[i][0] == "compile" and i + 1 < len(lines) and lines[i + 1][0] == "execute":
            lz, ex = lines[i][1], lines[i + 1][1]
            slow.append((lz[2] + ex[2], lz[0] + ex[0]))
            i += 2
        else:
            fast.append((lines[i][1][2], lines[i][1][0]))
            i += 1
    if not pp.check(len(slow) == len(fast) == 1 + NRUNS, f"the clock's runs: {lines}"):
        return
    slow, fast = slow[1:], fast[1:]
    med = lambda xs, k: statistics.median(x[k] for x in xs) / 1e6
    lo = med(slow, 0) - med(fast, 1)
    hi = med(slow, 1) - med(fast, 0)
    slack = 2 * (ppclock.SLACK_NS / 1e6) + ppclock.SLACK_REL * hi
    print(f"  extra {extra_ms:.3f} ms; phasetest's clock: {lo:.3f} .. {hi:.3f} ms")
    pp.check(lo - slack <= extra_ms <= hi + slack,
             f"the extra {extra_ms} ms is phasetest's own: {lo:.3f} .. {hi:.3f} ms")


def sql(db, q):
    r = pp.run([sqlite3, db, q])
    pp.check(r.returncode == 0, f"sqlite3 {q}: {r.stderr}")
    return r.stdout.strip()


def run(args, expect=0):
    r = pp.phaseprof(["suite", "run"] + args, env=ENV)
    pp.check(r.returncode == expect, f"suite run {args}: exit {r.returncode}, not {expect}: {r.stderr}")
    return r


def report(where, fmt="json"):
    r = pp.phaseprof(["suite", "report", "--format", fmt, where], env=ENV)
    pp.check(r.returncode == 0, f"suite report {where}: {r.stderr}")
    return json.loads(r.stdout) if fmt == "json" and r.returncode == 0 else r.stdout


# ---- every option of every subcommand is in the man page ----
import re
with open(os.path.join(pp.SOURCE_DIR, "man", "phaseprof-suite.1")) as f:
    man = f.read().replace("\\-", "-")
for sub in ("run", "report", "gate", "merge"):
    h = pp.phaseprof(["suite", sub, "--help"])
    pp.check(h.returncode == 0 and "examples:" in h.stdout, f"suite {sub} --help")
    for o in re.findall(r"--([a-z][a-z-]+)", h.stdout.split("examples:")[0]):
        pp.check(f"--{o}" in man, f"suite {sub} --{o} is in phaseprof-suite.1")

# ---- run, store, report, exclusions, timeout ----
# the case lengths spread so that 'short' stays the farthest from the usual
# ratio however long phaseprof's own start-up (in every run's wall) takes
clock = os.path.join(work, "short.clock")
main = suite("main.suite", [
    ("short", ["args execute=1", f"env PHASETEST_CLOCK={clock}"]),
    ("long", ["args load=2 execute=60"]),
    ("stdin", ["args cat execute=40", "stdin in.txt", "expect stdout in.txt"]),
])
out = os.path.join(work, "out")
three = ",".join(rts[n] for n in ("ptfast", "ptslow", "ptbad"))
# 5 runs each: the rank test's one-sided p can reach 1/252 (5 against 5), so
# the claim p < 0.05 holds with a run or two out of order
NRUNS = 5
run(["-x", three, "-n", str(NRUNS), "--warmup", "1", "-o", out, main])
db = os.path.join(out, "results.sqlite")
pp.check(sql(db, "PRAGMA user_version") == "1", "schema version 1")
pp.check(sql(db, "SELECT count(*) FROM run") == str(3 * 3 * (1 + NRUNS)),
         "one row per run (3 cases, 3 runtimes, 1+5 runs)")
pp.check(sql(db, "SELECT count(*) FROM run WHERE warmup = 1") == "9", "warm-up runs marked")
pp.check(sql(db, "SELECT count(DISTINCT round) FROM run WHERE warmup = 0") == str(NRUNS), "rounds 0..4")
env_row = sql(db, "SELECT host <> '', kernel LIKE 'Linux %', cpu_model <> '', phaseprof_version, shard FROM batch")
pp.check(env_row.startswith("1|1|1|") and env_row.endswith("|1/1"), f"the environment is stored: {env_row}")
rt_row = sql(db, "SELECT name, profile LIKE '%ptslow.probe', length(build_id) > 0, fallback FROM runtime "
                 "WHERE name = 'ptslow'")
pp.check(rt_row == "ptslow|1|1|0", f"the runtime's profile, build-id, no fallback: {rt_row}")
ph = sql(db, "SELECT min(p.wall_ns) FROM phase p JOIN run r ON r.id = p.run WHERE r.case_name = 'long' "
             "AND r.runtime = 'ptfast' AND p.name = 'execute' AND r.warmup = 0")
pp.check(ph and int(ph) >= 60e6, f"execute of 'long' took its 60 ms: {ph}")
pp.check(sql(db, "SELECT count(DISTINCT stdout_hash) FROM run WHERE case_name = 'stdin' AND runtime <> 'ptbad'")
         == "1", "stdin case: one stdout")
pp.check(int(sql(db, "SELECT count(*) FROM probe WHERE hits > 0")) > 0, "probe hits stored")

doc = report(out)
ranked = [x["case"] for x in doc["ranking"]]
pp.check(sorted(ranked) == ["long", "short", "stdin"], f"ranked: {ranked}")
top = doc["ranking"][0] if doc["ranking"] else {}
# ptslow's 5 ms weigh most in the shortest case: it is farthest from the usual ratio
pp.check(ranked[:1] == ["short"], f"'short' ranks first: {ranked}")
pp.check(top.get("slow_runtime") == "ptslow" and top.get("phase") == "execute",
         f"ptslow is slow in execute there: {top}")
pp.check(top.get("p", 1) < 0.05 and top.get("significant"), f"and significantly: {top}")
pp.check(top.get("extra_ms", 0) > 20, f"by tens of ms: {top}")
check_extra(clock, top.get("extra_ms", 0))
# relative to the usual ratio (the mean normalised vector), 'long' is the case where ptfast
# takes the larger share: WarpDiff names it, and no phase of ptfast is slower there
lng = [x for x in doc["ranking"] if x["case"] == "long"]
pp.check(lng and lng[0]["slow_runtime"] == "ptfast" and not lng[0]["significant"],
         f"'long': ptfast off the usual ratio, not significantly slower anywhere: {lng}")
cases = {c["name"]: c for c in doc["cases"]}
for c in ("short", "long", "stdin"):
    bad = [x for x in cases[c]["runtimes"] if x["runtime"] == "ptbad"][0]
    pp.check(bad["excluded"] and "phasetest: unknown step 'no-such-step'" in bad["excluded"],
             f"{c}: ptbad excluded, named with its first stderr line: {bad['excluded']}")
table = report(out, "table")
pp.check("WarpDiff ranking" in table and "excluded:" in table, "the table has the ranking and exclusions")
csv = report(out, "csv").splitlines()
pp.check(csv[0].startswith("case,runtime,phase,") and len(csv) == 1 + 3 * 3 * 8, f"csv rows: {len(csv)}")

# ---- a timeout ----
# the timeout counts from the fork, phaseprof's own start-up included (about
# 0.4 s on a loaded machine): 3 s leaves ptbad time to fail by itself, and the
# runtime sleeps far longer than that
slowpoke = suite("slowpoke.suite", [("slowpoke", ["args execute=600000", "timeout 3"])])
sdir = os.path.join(work, "slowpoke")
r = run(["-x", three, "-n", "1", "--warmup", "0", "-o", sdir, slowpoke], expect=1)
pp.check("timed out" in r.stderr and "slowpoke" in r.stderr, f"the timeout is said: {r.stderr}")
sdb = os.path.join(sdir, "results.sqlite")
pp.check(sql(sdb, "SELECT runtime, outcome FROM run ORDER BY runtime") ==
         "ptbad|ok\nptfast|timeout\nptslow|timeout",
         "every slowpoke run timed out (ptbad fails first): " +
         sql(sdb, "SELECT runtime, outcome, record_status, stderr_first FROM run"))
slow = report(sdir)["cases"][0]
pp.check(slow["not_ranked"] and all("timed out" in x["excluded"] for x in slow["runtimes"]
                                   if x["runtime"] != "ptbad"),
         f"slowpoke excluded for its timeout: {slow}")

# appending: a second batch; the report uses each case's newest
run(["-x", rts["ptfast"] + "," + rts["ptslow"], "-n", "2", "--warmup", "0", "-o", out,
     suite("two.suite", [("short", ["args execute=5:busy"])])])
pp.check(sql(db, "SELECT count(*), max(id) FROM batch") == "2|2", "a second batch")
pp.check(sql(db, "SELECT count(*) FROM run WHERE batch = 2") == "4", "its runs")
doc = report(out)
short = [x for x in [c for c in doc["cases"] if c["name"] == "short"][0]["runtimes"] if x["runtime"] == "ptfast"][0]
pp.check(short["runs"] == 2, f"'short' reported from its newest batch: {short['runs']} runs")

# ---- gate ----
# the gate compares two batches, run apart: on a loaded machine a 20 ms
# sleep's wake-up drifts between them by a few ms (25 % seen with both cores
# busy). So the gate is checked at 50 % against a regression of 300 %, with
# phases long enough that the drift stays far below it
GATE = ["--threshold", "50"]
g_base = suite("gbase.suite", [("work", ["args load=20 execute=20"])])
g_slow = suite("gslow.suite", [("work", ["args load=20 execute=80"])])
gdirs = {}
for name, s in (("base", g_base), ("again", g_base), ("slow", g_slow)):
    gdirs[name] = os.path.join(work, "g" + name)
    run(["-x", rts["ptfast"], "-n", "5", "--warmup", "1", "-o", gdirs[name], s])
g = pp.phaseprof(["suite", "gate"] + GATE + [gdirs["base"], os.path.join(gdirs["slow"], "results.sqlite")], env=ENV)
pp.check(g.returncode == 1, f"a slower execute fails the gate: {g.returncode} {g.stdout} {g.stderr}")
pp.check("phase execute" in g.stdout and "REGRESSION work on ptfast" in g.stdout, f"names the phase: {g.stdout}")
pp.check("phase load" not in g.stdout, f"load did not change: {g.stdout}")
g = pp.phaseprof(["suite", "gate"] + GATE + [gdirs["base"], gdirs["again"]], env=ENV)
# the same build: no phase of the work regresses. phaseprof's own start-up and
# teardown (under a millisecond) drift with the machine's load between two
# batches by more than their in-batch spread; a gate on them is a known limit
# (see the report), not what this checks
bad = [x for x in g.stdout.splitlines() if x.startswith("REGRESSION")
       and not re.search(r", phase (startup|teardown): ", x)]
pp.check(g.returncode in (0, 1) and not bad and "phase execute" not in g.stdout,
         f"the same build passes in its phases: {g.stdout} {g.stderr}")
if g.returncode:
    print(f"  note: the same build's gate flagged phaseprof's own overhead: {g.stdout}")
g = pp.phaseprof(["suite", "gate", "--format", "markdown"] + GATE + [gdirs["base"], gdirs["slow"]], env=ENV)
pp.check(g.returncode == 1 and "| :x: | work | ptfast | execute |" in g.stdout, f"markdown: {g.stdout}")

# ---- shards ----
# ptslow30 sleeps 30 ms more; by the work alone the distances are a 0.37, c 0.32, b 0.06
shard_suite = suite("shard.suite", [("a", ["args execute=1"]), ("b", ["args execute=30"]),
                                    ("c", ["args execute=300"])])
two = rts["ptfast"] + "," + rts["ptslow30"]
dirs = {}
for name, extra in (("whole", []), ("s1", ["--shard", "1/2"]), ("s2", ["--shard", "2/2"])):
    dirs[name] = os.path.join(work, name)
    run(["-x", two, "-n", "4", "--warmup", "0", "-o", dirs[name]] + extra + [shard_suite])
merged = os.path.join(work, "merged.sqlite")
r = pp.phaseprof(["suite", "merge", merged] + [os.path.join(dirs[s], "results.sqlite") for s in ("s1", "s2")])
pp.check(r.returncode == 0, f"merge: {r.stderr}")
q = "SELECT case_name, runtime, round, warmup, outcome FROM run ORDER BY 1, 2, 3"
pp.check(sql(merged, q) == sql(os.path.join(dirs["whole"], "results.sqlite"), q), "the same runs")
pp.check(sql(os.path.join(dirs["s1"], "results.sqlite"), "SELECT DISTINCT case_name FROM run ORDER BY 1") == "a\nc",
         "shard 1 of 2 ran cases 1 and 3")
pp.check(sql(merged, "SELECT count(*) FROM batch") == "2", "two batches merged")
rw, rm = report(dirs["whole"]), report(merged)
order = lambda d: [(x["case"], x["slow_runtime"]) for x in d["ranking"]]
pp.check(order(rw) == order(rm) and len(order(rm)) == 3, f"the same ranking: {order(rw)} vs {order(rm)}")
for x, y in zip(rw["ranking"], rm["ranking"]):
    pp.near(y["distance"], x["distance"], 0.06, f"{x['case']}: distance")

# ---- drill: the top anomaly again with stacks, a differential flame graph of its phase ----
drill = os.path.join(work, "drill")
r = run(["-x", rts["ptfast"] + "," + rts["ptspin"], "-n", "2", "--warmup", "0", "--drill", "1", "-o", drill,
         suite("drill.suite", [("one", ["args execute=5:busy"]), ("two", ["args execute=60:busy"]),
                               ("three", ["args execute=150:busy"])])])
# ptspin's 40 ms weigh most in 'one': it ranks first, and ptspin is slower there in execute
svg = os.path.join(drill, "drill", "b1", "one", "diff-execute.svg")
pp.check("one/diff-execute.svg" in r.stdout and os.path.exists(svg), f"the drill's flame graph: {r.stdout} {r.stderr}")
if os.path.exists(svg):
    with open(svg) as f:
        text = f.read()
    pp.check("pt_execute" in text and "ptspin" in text, "it shows pt_execute, ptspin against ptfast")
    with open(os.path.join(drill, "drill", "b1", "one", "ptspin", "execute.folded")) as f:
        lines = f.read().splitlines()
    pp.check(lines and all("[execute];" in x for x in lines), f"restricted to execute: {lines[:3]}")
pp.phaseprof(["suite", "report", "--format", "html", drill])
with open(os.path.join(drill, "report.html")) as f:
    pp.check('href="drill/b1/one/diff-execute.svg"' in f.read(), "report.html links it")

# ---- the example suite on real runtimes ----
# the directory: its example.suite is the suite
example = os.path.join(pp.BUILD_DIR, "examples", "suite")
real = ["node"] if shutil.which("node") else []
rdir = os.environ.get("PHASEPROF_RUNTIMES")
for name in ("wasm3", "iwasm"):
    if rdir and os.access(os.path.join(rdir, name), os.X_OK):
        real.append(os.path.join(rdir, name))
if len(real) < 2:
    print(f"SKIP (part): the example suite on several runtimes needs wasm3 or iwasm in "
          f"PHASEPROF_RUNTIMES (now {rdir!r}) and node; have {real}")
if real:
    ex = os.path.join(work, "ex")
    r = pp.phaseprof(["suite", "run", "-x", ",".join(real), "-n", "2", "--warmup", "0", "-o", ex, example])
    pp.check(r.returncode == 0, f"the example suite ran: {r.stderr}")
    pp.check(sql(os.path.join(ex, "results.sqlite"), "SELECT count(*) FROM run") == str(4 * len(real) * 2),
             "one row per run of the example suite")
    doc = report(ex)
    if len(real) >= 2:
        pp.check(len(doc["ranking"]) == 4, f"the example cases are ranked: {doc['ranking']}")
    wf = [c for c in doc["cases"] if c["name"] == "wordfreq"][0]
    pp.check(all(not x["excluded"] for x in wf["runtimes"]), f"wordfreq's stdout as expected: {wf}")
shutil.rmtree(work, ignore_errors=True)
pp.done()
