"""phaseprof record on the test runtime: each phase's wall and CPU time agree
with what the test runtime measured itself in the same run (ppclock.py), CPU
time tells sleeping from busy, and phases.json keeps its contract."""
import os
import pp
import ppclock

pp.need_root()
out = pp.tmpdir()
steps = ["load=50", "compile=100:busy:2", "instantiate=20", "execute=200:busy", "print=done"]
r = pp.phaseprof(["-x", pp.PHASETEST, "-o", out, "--"] + steps)
pp.check(r.returncode == 0, f"exit status {r.returncode}; stderr:\n{r.stderr}")
pp.check(r.stdout == "done\n", f"stdout passed through: {r.stdout!r}")
pp.check("phase" in r.stderr and "execute" in r.stderr, "table on stderr")

doc = pp.load_json(os.path.join(out, "phases.json"))
for key in ("runtime", "command", "exit_status", "wall_ns", "phases", "probes", "lost_events"):
    pp.check(key in doc, f"phases.json has {key}")
for key in ("name", "path", "build_id", "version"):
    pp.check(key in doc["runtime"], f"runtime has {key}")
pp.check(doc["runtime"]["name"] == "phasetest", "runtime name")
pp.check(doc["runtime"]["path"] == os.path.realpath(pp.PHASETEST), "runtime path")
pp.check(doc["command"][1:] == steps, f"command {doc['command']}")
pp.check(doc["exit_status"] == 0, "exit status in json")
pp.check(doc["lost_events"] == 0, "no lost events")

ph = {p["name"]: p for p in doc["phases"]}
pp.check([p["name"] for p in doc["phases"]] ==
         ["startup", "load", "compile", "instantiate", "execute", "teardown"], "phase order")
for p in doc["phases"]:
    for key in ("name", "wall_ns", "cpu_ns", "intervals", "threads"):
        pp.check(key in p, f"phase {p['name']} has {key}")

ms = 1e6
# sleeping phases use no CPU; busy ones use it (as much as the machine gives)
pp.check(ph["load"]["cpu_ns"] < 0.1 * ph["load"]["wall_ns"], f"load sleeps: cpu {ph['load']['cpu_ns'] / ms:.2f} ms")
pp.check(ph["instantiate"]["cpu_ns"] < 0.1 * ph["instantiate"]["wall_ns"], "instantiate sleeps")
pp.check(ph["execute"]["cpu_ns"] > 10 * ph["load"]["cpu_ns"], f"execute is busy: cpu {ph['execute']['cpu_ns'] / ms:.1f} ms")
# every phase's wall and CPU time against phasetest's own clock, same run
ppclock.check_against_clock([], steps, "phasetest")
pp.check(ph["compile"]["threads"] == 3, f"compile threads {ph['compile']['threads']}")
pp.check(ph["compile"]["intervals"] == 3, f"compile intervals {ph['compile']['intervals']}")
pp.check(ph["load"]["intervals"] == 1 and ph["load"]["threads"] == 1, "load: one interval, one thread")

# the main thread's phases add up to the run
main_sum = sum(p["main_thread_ns"] for p in doc["phases"])
# the main thread's life (other threads may outlive it, the longer on a busy machine)
main_thr = [t for t in doc["threads"] if t["tid"] == t["pid"] == doc["threads"][0]["pid"]][0]
main_life = main_thr["end_ns"] - main_thr["start_ns"]
pp.near(main_sum, main_life, main_life * 0.01, "main thread phases sum to its life")
pp.check(doc["wall_ns"] >= sum(ph[n]["wall_ns"] for n in ("load", "compile", "instantiate", "execute")),
         "the run holds its phases")

hits = {p["site"]: p["hits"] for p in doc["probes"]}
pp.check(hits.get("during pt_load") == 1, f"pt_load fired once: {hits}")
pp.check(hits.get("during pt_compile_worker") == 2, "two workers")
pp.check(hits.get("during pt_lazy_compile") == 0, "lazy compile never fired")
pp.check("never fired" in r.stderr and "pt_lazy_compile" in r.stderr, "table names the silent probe")

# nesting: a lazy compile inside execute belongs to compile, execute keeps the rest
# (phasetest clocks the lazy compile apart from its execute)
ppclock.check_against_clock([], ["lazy=30:busy", "execute=100:busy"], "nested")
pp.done()
