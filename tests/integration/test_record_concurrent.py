"""Two phaseprof runs at the same time on the same runtime binary each report
only their own process (its phases agree with its own clock, ppclock.py)."""
import os
import subprocess
import pp
import ppclock

pp.need_root()
env = dict(os.environ, PHASEPROF_PROBE_PATH=pp.TEST_PROBES)
runs = []
for load, execute in ((80, 300), (250, 100)):
    out = pp.tmpdir()
    args = [pp.PHASEPROF, "-x", pp.PHASETEST, "-o", out, "--",
            f"load={load}", f"execute={execute}", "compile=30:sleep:3"]
    clock = dict(env, PHASETEST_CLOCK=os.path.join(out, "phasetest.clock"))
    runs.append((subprocess.Popen(args, env=clock, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True), out, load, execute))

for p, out, load, execute in runs:
    _, err = p.communicate(timeout=60)
    pp.check(p.returncode == 0, f"run exits 0: {err}")
    doc = pp.load_json(os.path.join(out, "phases.json"))
    ph = {x["name"]: x for x in doc["phases"]}
    hits = {x["site"]: x["hits"] for x in doc["probes"]}
    own = ppclock.read_clock(os.path.join(out, "phasetest.clock"))
    for n in ("load", "execute"):
        pp.check(n in own and ppclock.agree(ph[n]["wall_ns"], own[n]),
                 f"run load={load}: its own {n}: {ph[n]['wall_ns']} ns, its clock {own.get(n)}")
    # and not the other run's: the two differ by far more than the slack
    pp.check(abs(ph["load"]["wall_ns"] / 1e6 - load) < abs(ph["load"]["wall_ns"] / 1e6 - (330 - load)),
             f"run load={load}: nearer its own load than the other's")
    pp.check(hits["during pt_load"] == 1, f"run load={load}: one pt_load hit, not two: {hits}")
    pp.check(hits["during pt_compile_worker"] == 3, f"run load={load}: its own 3 workers")
    pids = {t["pid"] for t in doc["threads"]}
    pp.check(len(pids) == 1, f"run load={load}: threads of one process only: {pids}")
    pp.check(len(doc["threads"]) == 4, f"run load={load}: main + 3 workers")
pp.done()
