"""phaseprof suite: run, the store (checked with the sqlite3 CLI), report,
exclusions named with the runtime's first stderr line, a timeout, the gate,
and shards merged. The runtimes here are copies of tests/phasetest under
three names, each with its own profile: ptfast runs the case's steps, ptslow
sleeps 5 ms more in execute first (ptslow30: 30 ms), ptbad fails (an unknown
step). Sleeps, not busy loops: on a loaded machine a spinning phase overshoots
when preempted, a sleeping one barely; the ranking and the gate are decided by
the work, not by the machine's load. The last part runs the example suite on node (and
wasm3, iwasm from PHASEPROF_RUNTIMES when there)."""
import json
import os
import shutil
import pp

pp.need_root()
sqlite3 = pp.need_program("sqlite3")
work = pp.tmpdir()
probes = os.path.join(work, "probes")
os.makedirs(probes)
rts = {}
for name, extra in (("ptfast", ""), ("ptslow", "execute=5 "), ("ptbad", "no-such-step "),
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
main = suite("main.suite", [
    ("short", ["args execute=3"]),
    ("long", ["args load=2 execute=60"]),
    ("stdin", ["args cat execute=15", "stdin in.txt", "expect stdout in.txt"]),
    ("slowpoke", ["args execute=3000", "timeout 0.3"]),
])
out = os.path.join(work, "out")
three = ",".join(rts[n] for n in ("ptfast", "ptslow", "ptbad"))
r = run(["-x", three, "-n", "4", "--warmup", "1", "-o", out, main], expect=1)
pp.check("timed out" in r.stderr and "slowpoke" in r.stderr, f"the timeout is said: {r.stderr}")
db = os.path.join(out, "results.sqlite")
pp.check(sql(db, "PRAGMA user_version") == "1", "schema version 1")
pp.check(sql(db, "SELECT count(*) FROM run") == str(4 * 3 * 5), "one row per run (4 cases, 3 runtimes, 1+4 runs)")
pp.check(sql(db, "SELECT count(*) FROM run WHERE warmup = 1") == "12", "warm-up runs marked")
pp.check(sql(db, "SELECT count(DISTINCT round) FROM run WHERE warmup = 0") == "4", "rounds 0..3")
pp.check(sql(db, "SELECT count(*) FROM run WHERE case_name = 'slowpoke' AND outcome = 'timeout'") == "10",
         "every slowpoke run timed out (ptbad fails first): " +
         sql(db, "SELECT runtime, outcome, record_status, stderr_first FROM run WHERE case_name = 'slowpoke'"))
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
pp.near(top.get("extra_ms", 0), 5, 2.5, "by its 5 ms")
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
slow = cases["slowpoke"]
pp.check(slow["not_ranked"] and all("timed out" in x["excluded"] for x in slow["runtimes"]
                                   if x["runtime"] != "ptbad"),
         f"slowpoke excluded for its timeout: {slow}")
table = report(out, "table")
pp.check("WarpDiff ranking" in table and "excluded:" in table, "the table has the ranking and exclusions")
csv = report(out, "csv").splitlines()
pp.check(csv[0].startswith("case,runtime,phase,") and len(csv) == 1 + 4 * 3 * 8, f"csv rows: {len(csv)}")

# appending: a second batch; the report uses each case's newest
run(["-x", rts["ptfast"] + "," + rts["ptslow"], "-n", "2", "--warmup", "0", "-o", out,
     suite("two.suite", [("short", ["args execute=5:busy"])])])
pp.check(sql(db, "SELECT count(*), max(id) FROM batch") == "2|2", "a second batch")
pp.check(sql(db, "SELECT count(*) FROM run WHERE batch = 2") == "4", "its runs")
doc = report(out)
short = [x for x in [c for c in doc["cases"] if c["name"] == "short"][0]["runtimes"] if x["runtime"] == "ptfast"][0]
pp.check(short["runs"] == 2, f"'short' reported from its newest batch: {short['runs']} runs")

# ---- gate ----
g_base = suite("gbase.suite", [("work", ["args load=2 execute=20"])])
g_slow = suite("gslow.suite", [("work", ["args load=2 execute=30"])])
gdirs = {}
for name, s in (("base", g_base), ("again", g_base), ("slow", g_slow)):
    gdirs[name] = os.path.join(work, "g" + name)
    run(["-x", rts["ptfast"], "-n", "5", "--warmup", "1", "-o", gdirs[name], s])
g = pp.phaseprof(["suite", "gate", gdirs["base"], os.path.join(gdirs["slow"], "results.sqlite")], env=ENV)
pp.check(g.returncode == 1, f"a slower execute fails the gate: {g.returncode} {g.stdout} {g.stderr}")
pp.check("phase execute" in g.stdout and "REGRESSION work on ptfast" in g.stdout, f"names the phase: {g.stdout}")
pp.check("phase load" not in g.stdout, f"load did not change: {g.stdout}")
g = pp.phaseprof(["suite", "gate", gdirs["base"], gdirs["again"]], env=ENV)
pp.check(g.returncode == 0 and ": pass" in g.stdout, f"the same build passes: {g.stdout} {g.stderr}")
g = pp.phaseprof(["suite", "gate", "--format", "markdown", gdirs["base"], gdirs["slow"]], env=ENV)
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
