"""Every phases.json holds to phaseprof-json(5), from real runs: phasetest with
every phase, with some, failing before its first phase and crashing; the same
under the perf backend and the generic fallback, without samples, and node.
A phase that never opened is null and not seen in each of them, never a
measured zero, and a run with no phase has no teardown."""
import os
import shutil
import pp
import ppschema

pp.need_root()


def record(args, steps, what, runtime=None):
    out = pp.tmpdir()
    r = pp.phaseprof(["record", "-o", out] + args + ["-x", runtime or pp.PHASETEST, "--"] + steps)
    path = os.path.join(out, "phases.json")
    if not pp.check(os.path.exists(path), f"{what}: phases.json written ({r.returncode}): {r.stderr}"):
        return r, None
    doc = ppschema.check_file(path, what)
    return r, {p["name"]: p for p in doc["phases"]} | {"": doc}


def not_seen(ph, names, what):
    for n in names:
        p = ph[n]
        pp.check(not p["seen"] and p["wall_ns"] is None and p["cpu_ns"] is None and
                 p["intervals"] == 0, f"{what}: {n} not seen: {p}")


def seen(ph, names, what):
    for n in names:
        pp.check(ph[n]["seen"] and ph[n]["wall_ns"] > 0, f"{what}: {n} seen: {ph[n]}")


for backend in ("bpf", "perf"):
    b = ["--backend", backend]
    _, ph = record(b, ["load=5", "compile=5:busy:2", "instantiate=5", "execute=5:busy"],
                   f"{backend}: every phase")
    if ph:
        seen(ph, ["startup", "load", "compile", "instantiate", "execute", "teardown"], backend)
    _, ph = record(b, ["load=5", "execute=5"], f"{backend}: some phases")
    if ph:
        seen(ph, ["load", "execute"], backend)
        not_seen(ph, ["compile", "instantiate"], f"{backend}: some phases")
    # the runtime fails before loading: nothing but startup, and no teardown
    r, ph = record(b, ["idle=5", "exit=3"], f"{backend}: fails before load")
    pp.check(r.returncode == 3, f"{backend}: the runtime's status passes through: {r.returncode}")
    if ph:
        seen(ph, ["startup"], f"{backend}: fails before load")
        not_seen(ph, ["load", "compile", "instantiate", "execute", "teardown"],
                 f"{backend}: fails before load")
        pp.check(ph[""]["exit_status"] == 3, "exit_status 3")
    r, ph = record(b, ["load=5", "crash=11"], f"{backend}: crashes")
    if ph:
        pp.check(ph[""]["term_signal"] == 11 and ph[""]["exit_status"] == 139,
                 f"{backend}: killed by SIGSEGV: {ph['']['exit_status']} {ph['']['term_signal']}")

_, ph = record(["-F", "0"], ["load=5", "execute=5"], "no samples")
if ph:
    pp.check("samples" not in ph[""] and "samples" not in ph["load"], "no samples, no sample keys")

# the generic fallback, on phasetest as an unknown runtime (a copy under another name)
tmp = pp.tmpdir()
stranger = os.path.join(tmp, "stranger")
shutil.copy(pp.PHASETEST, stranger)
_, ph = record([], ["load=5", "execute=5"], "fallback", runtime=stranger)
if ph:
    pp.check(ph[""]["fallback"] is not None, "the fallback was used")
    not_seen(ph, ["compile", "instantiate", "execute", "teardown"], "fallback")

node = shutil.which("node")
if node and os.path.exists(pp.EXAMPLE_WASM):
    _, ph = record([], [pp.EXAMPLE_WASM, "20"], "node", runtime="node")
    if ph:
        seen(ph, ["load", "compile", "instantiate", "execute"], "node")
else:
    print("note: node or the example module missing; node not checked")
pp.done()
