"""Degrade per phase, never per profile: a profile whose compile phase names a
function the runtime does not have still times load, instantiate and execute
from its probes; compile is reported unresolved (null in phases.json,
"unresolved" in the table, with the hint), and no fallback is used. Only
--no-fallback turns the missing phase into an error."""
import os
import pp

pp.need_root()
probe = os.path.join(pp.tmpdir(), "broken.probe")
with open(probe, "w") as f:
    f.write("profile phasetest-broken\nbinaries phasetest\n"
            "phase load\n\tduring pt_load\n"
            "phase compile\n\tduring pt_no_such_function | pt_neither\n"
            "phase instantiate\n\tduring pt_instantiate\n"
            "phase execute\n\tduring pt_execute\n")
out = pp.tmpdir()
steps = ["load=30", "compile=40", "instantiate=20", "execute=50", "print=done"]
r = pp.phaseprof(["-x", pp.PHASETEST, "--probes", probe, "-o", out, "--"] + steps)
pp.check(r.returncode == 0, f"exit status {r.returncode}; stderr:\n{r.stderr}")
pp.check(r.stdout == "done\n", f"stdout passed through: {r.stdout!r}")
pp.check("generic fallback" not in r.stderr, "no fallback")
lines = [l for l in r.stderr.splitlines() if l.strip().startswith("compile")]
pp.check(lines and "unresolved" in lines[0], f"table says compile unresolved: {lines}")
pp.check("pt_no_such_function" in r.stderr and "phaseprof resolve" in r.stderr,
         "the table names the site and the hint")

doc = pp.load_json(os.path.join(out, "phases.json"))
pp.check(doc["fallback"] is None, "phases.json: no fallback")
ph = {p["name"]: p for p in doc["phases"]}
pp.check(ph["compile"]["wall_ns"] is None and ph["compile"]["cpu_ns"] is None,
         f"compile is null: {ph['compile']}")
pp.check(ph["compile"]["unresolved"] and "pt_no_such_function" in ph["compile"]["why"],
         "compile unresolved, with why")
ms = 1e6
# the unresolved compile's time stays with the phase before it (load); sleeps
# only overshoot, by as much as the loaded machine delays a wake-up
over = 15
for name, want in (("load", 30 + 40), ("instantiate", 20), ("execute", 50)):
    got = ph[name]["wall_ns"] / ms
    pp.check(want <= got < want + over, f"{name} still timed: {got:.2f} ms, slept {want} ms")
# and the main thread's time is all accounted for, compile's included
main = sum(p["main_thread_ns"] for p in doc["phases"] if p["main_thread_ns"])
pp.near(main, doc["wall_ns"], doc["wall_ns"] * 0.01, "main thread phases sum to the run")
for name in ("load", "instantiate", "execute"):
    pp.check(not ph[name]["unresolved"], f"{name} resolved")
st = {p["site"]: p["status"] for p in doc["probes"]}
pp.check(st.get("during pt_no_such_function | pt_neither") == "unresolved", f"site status {st}")

# the same profile with --no-fallback: every phase or nothing
r = pp.phaseprof(["-x", pp.PHASETEST, "--probes", probe, "--no-fallback", "--"] + steps)
pp.check(r.returncode == 66, f"--no-fallback: exit {r.returncode}")
pp.check(r.stdout == "", "--no-fallback: the runtime did not run")
pp.check("pt_no_such_function" in r.stderr, f"--no-fallback names the site: {r.stderr}")
pp.done()
