#!/usr/bin/env python3
"""suite_overhead.py: what `phaseprof suite` costs beyond record, in figures
(not a timed test).

1. The runner's cost per run, two ways. Inside: `suite run -v` says, for each
   run, how long the runner worked before starting record (folders, fork) and
   after it exited (phases.json, stdout hash, SQLite insert). Outside: the
   wall time of `suite run` over N runs of one phasetest case, per run, minus
   that of `phaseprof record` on the same case started N times from here with
   the same redirections (the cost of spawning /bin/true from Python
   subtracted, since suite run starts record from C); interleaved blocks,
   medians. Outside includes suite run's own start (the database, the batch)
   spread over N runs, and the machine's noise.
2. `suite report` over 10,000 synthetic runs (100 cases x 4 runtimes x 25
   runs, 7 phases each) in a database with the real schema.

Needs root and a build in build/.

    sudo bench/suite_overhead.py [-n 20] [-r 5]
"""
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
phaseprof = os.path.join(top, "build", "phaseprof")
phasetest = os.path.join(top, "build", "tests", "phasetest")
args = sys.argv[1:]
n, rounds = 20, 5
while args:
    if args[0] == "-n":
        n, args = int(args[1]), args[2:]
    elif args[0] == "-r":
        rounds, args = int(args[1]), args[2:]
    else:
        sys.exit(__doc__)

work = tempfile.mkdtemp(prefix="ppbench.")
probes = os.path.join(work, "probes")
os.makedirs(probes)
rt = os.path.join(work, "ptfast")
shutil.copy(phasetest, rt)
with open(os.path.join(probes, "ptfast.probe"), "w") as f:
    f.write("profile ptfast\nbinaries ptfast\nargv {runtime} {args}\nphase execute\n\tduring pt_execute\n")
module = os.path.join(work, "m.wasm")
with open(module, "wb") as f:
    f.write(b"\0asm\1\0\0\0")
suite = os.path.join(work, "s.suite")
with open(suite, "w") as f:
    f.write("case c\n\tmodule m.wasm\n\targs execute=1\n")
env = dict(os.environ, PHASEPROF_PROBE_PATH=probes)


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


inside = []


def suite_block(i):
    out = os.path.join(work, f"s{i}")
    r = subprocess.run([phaseprof, "suite", "run", "-v", "-x", rt, "-n", str(n), "--warmup", "0", "-o", out,
                        suite], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    for m in re.finditer(r"the runner ([0-9.]+) ms before, ([0-9.]+) ms after", r.stderr):
        inside.append(float(m.group(1)) + float(m.group(2)))


def record_block(i):
    for k in range(n):
        d = os.path.join(work, f"r{i}-{k}")
        os.makedirs(d)
        with open(os.path.join(d, "stdout"), "w") as o, open(os.path.join(d, "stderr"), "w") as e, \
                open("/dev/null") as i_:
            subprocess.run([phaseprof, "record", "-F", "0", "-x", rt, "-o", d, "--", module, "execute=1"],
                           env=env, stdin=i_, stdout=o, stderr=e)


def spawn_block(i):
    for k in range(n):
        subprocess.run(["/bin/true"])


per = {"suite": [], "record": [], "spawn": []}
for i in range(rounds):
    per["suite"].append(timed(lambda: suite_block(i)) / n)
    per["record"].append(timed(lambda: record_block(i)) / n)
    per["spawn"].append(timed(lambda: spawn_block(i)) / n)
med = {k: statistics.median(v) * 1e3 for k, v in per.items()}
print(f"per run, median of {rounds} blocks of {n} runs:")
print(f"  suite run            {med['suite']:8.2f} ms")
print(f"  record (from python) {med['record']:8.2f} ms")
print(f"  python spawn         {med['spawn']:8.2f} ms")
print(f"  outside: suite runner overhead beyond record: {med['suite'] - (med['record'] - med['spawn']):.2f} ms"
      " per run")
print(f"  inside: the runner's own work per run: median {statistics.median(inside):.2f} ms, "
      f"max {max(inside):.2f} ms over {len(inside)} runs (goal: <= 5 ms)")

# ---- report over 10,000 runs ----
src = os.path.join(work, "s0", "results.sqlite")
db = os.path.join(work, "big.sqlite")
s = sqlite3.connect(src)
d = sqlite3.connect(db)
for (sql,) in s.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"):
    d.execute(sql)
d.execute(f"PRAGMA user_version = {s.execute('PRAGMA user_version').fetchone()[0]}")
d.execute("INSERT INTO batch(id, started, runs, warmup) VALUES (1, '2026-01-01T00:00:00Z', 25, 0)")
random.seed(1)
phases = ["startup", "load", "compile", "instantiate", "execute", "teardown"]
rid = 0
for c in range(100):
    d.execute("INSERT INTO suite_case(batch, name, expect_exit, timeout) VALUES (1, ?, -1, 60)", (f"case{c}",))
    base = [random.uniform(1, 50) for _ in phases]
    for r in range(4):
        if c == 0:
            d.execute("INSERT INTO runtime(batch, name) VALUES (1, ?)", (f"rt{r}",))
        skew = [random.uniform(0.5, 2.0) for _ in phases]
        for k in range(25):
            rid += 1
            ph = [b * s_ * random.uniform(0.95, 1.05) * 1e6 for b, s_ in zip(base, skew)]
            d.execute("INSERT INTO run(id, batch, case_name, runtime, round, warmup, outcome, record_status,"
                      " exit_status, wall_ns, cpu_ns, stdout_hash, stdout_bytes, fallback)"
                      " VALUES (?, 1, ?, ?, ?, 0, 'ok', 0, 0, ?, ?, '00000000000000aa', 10, 0)",
                      (rid, f"case{c}", f"rt{r}", k, int(sum(ph)), int(sum(ph))))
            d.executemany("INSERT INTO phase VALUES (?, ?, ?, ?, 1)",
                          [(rid, p, int(v), int(v)) for p, v in zip(phases, ph)])
d.commit()
print(f"report over {d.execute('SELECT count(*) FROM run').fetchone()[0]} runs "
      f"({d.execute('SELECT count(*) FROM phase').fetchone()[0]} phase rows):")
for fmt in ("table", "json", "html"):
    ts = []
    for _ in range(3):
        ts.append(timed(lambda: subprocess.run([phaseprof, "suite", "report", "--format", fmt, db],
                                               stdout=subprocess.DEVNULL, check=True)))
    print(f"  --format {fmt:5s} {statistics.median(ts) * 1e3:8.1f} ms (median of 3; goal < 1000 ms)")
shutil.rmtree(work, ignore_errors=True)
