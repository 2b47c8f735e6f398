"""probes install for node, then plain perf record -e 'probe_node:*' on node
running a WASI module: perf script shows each phase's events in run order;
remove takes them all away."""
import os
import pp
import pputil_probes as up

up.need_tracefs()
perf = pp.need_program("perf")
node = pp.need_program("node")
if not os.path.exists(pp.EXAMPLE_WASM):
    pp.skip(f"{pp.EXAMPLE_WASM} is not built")
env = up.private_env()
G = "probe_node"

up.delete_group(G)
r = pp.phaseprof(["probes", "install", "-x", "node"], env=env)
pp.check(r.returncode == 0, f"install: {r.stderr}")
ev = up.group_events(G)
for e in ("load_enter", "load_exit", "compile_enter", "compile_exit", "instantiate_enter",
          "instantiate_exit", "execute_enter", "teardown_enter"):
    pp.check(f"{G}:{e}" in ev, f"{e} installed")
pp.check(f"{G}:execute_exit" not in ev, "no return probe on the no-return site")

data = os.path.join(pp.tmpdir(), "perf.data")
runner = os.path.join(pp.SOURCE_DIR, "probes", "node-wasi.cjs")
r = pp.run([perf, "record", "-q", "-o", data, "-e", f"{G}:*", "--", node,
            "--experimental-wasi-unstable-preview1", "--no-warnings", runner, pp.EXAMPLE_WASM])
pp.check(r.returncode == 0 and "fib(" in r.stdout, f"perf record node: {r.returncode} {r.stderr}")
s = pp.run([perf, "script", "-i", data, "-F", "event"])
seen = [l.strip().rstrip(":").split(":", 1)[1] for l in s.stdout.splitlines() if l.strip()]
first = {}
for i, e in enumerate(seen):
    first.setdefault(e, i)
for e in ("load_enter", "load_exit", "compile_enter", "compile_exit", "instantiate_enter",
          "instantiate_exit", "execute_enter", "teardown_enter"):
    pp.check(e in first, f"perf script shows {G}:{e}")
order = ["compile_enter", "load_enter", "instantiate_enter", "execute_enter", "teardown_enter"]
if all(e in first for e in order):
    pp.check(sorted(order, key=first.get) == order, f"phases in run order: {sorted(order, key=first.get)}")
pp.check(seen.count("compile_enter_1") > 10, f"lazy compiles: {seen.count('compile_enter_1')}")
pp.check(seen.count("compile_enter_1") == seen.count("compile_exit_1"), "each lazy compile returns")

r = pp.phaseprof(["probes", "remove", "-x", "node"], env=env)
pp.check(r.returncode == 0 and not up.group_events(G), f"remove: {r.stderr}")
pp.done()
