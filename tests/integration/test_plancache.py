"""Resolved plans are cached between runs, and never used stale: the second
run of a runtime takes its plan from the cache with the same probes; a changed
binary or profile resolves again. A plan with sites that did not resolve is
cached too (with their whys) when nothing installed later could change that,
and not when a library it names is missing."""
import os
import shutil
import pp
import ppclock

pp.need_root()
cache = pp.tmpdir()
tmp = pp.tmpdir()
os.chmod(tmp, 0o755)
binary = os.path.join(tmp, "phasetest")
shutil.copy(pp.PHASETEST, binary)
env = {"PHASEPROF_CACHE_DIR": cache}


def record(*opts):
    out = pp.tmpdir()
    clock = os.path.join(out, "phasetest.clock")
    r = pp.phaseprof(["-v", "-F", "0", "-x", binary, "-o", out] + list(opts) +
                     ["--", "load=20", "execute=30:busy"], env=dict(env, PHASETEST_CLOCK=clock))
    pp.check(r.returncode == 0, f"record: {r.stderr[-500:]}")
    doc = pp.load_json(os.path.join(out, "phases.json"))
    doc["own_clock"] = ppclock.read_clock(clock)
    return r.stderr, doc


err1, doc1 = record()
pp.check(".plan cached" in err1 and ".plan from the cache" not in err1, "first run resolves and caches")
pp.check(len(os.listdir(cache)) == 1, f"one entry: {os.listdir(cache)}")
err2, doc2 = record()
pp.check(".plan from the cache" in err2, "second run takes the plan from the cache")
probes = lambda d: [(p["site"], p["function"], p["functions"], p["hits"]) for p in d["probes"]]
pp.check(probes(doc1) == probes(doc2), f"same probes either way:\n{probes(doc1)}\n{probes(doc2)}")
ph = {p["name"]: p for p in doc2["phases"]}
own = doc2["own_clock"]
for n in ("load", "execute"):
    pp.check(n in own and ppclock.agree(ph[n]["wall_ns"], own[n]),
             f"cached plan times {n}: {ph[n]['wall_ns']} ns, phasetest's clock {own.get(n)}")

# a rebuilt runtime (here: a new copy with a new inode and mtime) is resolved again
os.unlink(binary)
shutil.copy(pp.PHASETEST, binary)
err3, doc3 = record()
pp.check(".plan from the cache" not in err3 and ".plan cached" in err3, "a changed binary resolves again")
pp.check(probes(doc3) == probes(doc1), "and gets the same probes")

# a changed profile is a different entry
probe = os.path.join(tmp, "phasetest.probe")
with open(os.path.join(pp.TEST_PROBES, "phasetest.probe")) as f:
    text = f.read()
with open(probe, "w") as f:
    f.write(text + "\n# edited\n")
r = pp.phaseprof(["-v", "-F", "0", "-x", binary, "--probes", probe, "--", "load=1"], env=env)
pp.check(".plan from the cache" not in r.stderr, "an edited profile resolves again")

# a corrupt entry is ignored, not trusted
for name in os.listdir(cache):
    with open(os.path.join(cache, name), "w") as f:
        f.write("phaseprof-plan 2\nsite 0 0 1 7 -\natt 9 0 0 0\nend\n")
err5, doc5 = record()
pp.check(".plan from the cache" not in err5 and doc5["exit_status"] == 0, "a corrupt entry is rebuilt")
pp.check(probes(doc5) == probes(doc1), "with the right probes")

# sites that cannot resolve in complete files (WasmEdge's LLVM sites in a
# build without LLVM): the plan is cached with their whys, and a required
# phase left unresolved is still said on every run
def misses(extra):
    path = os.path.join(tmp, "misses.probe")
    with open(path, "w") as f:
        f.write(text.replace("\tduring pt_instantiate", "\tduring pt_not_in_phasetest") + extra)
    return ["--probes", path]


def unresolved(d):
    return [(p["site"], p["why"]) for p in d["probes"] if p["status"] == "unresolved"]


said = "phase instantiate will be reported unresolved"
err7, doc7 = record(*misses("phase teardown optional\n\tduring pt_nor_this\n"))
err8, doc8 = record(*misses("phase teardown optional\n\tduring pt_nor_this\n"))
pp.check(".plan cached" in err7 and ".plan from the cache" in err8, f"a plan with misses is cached: {err8[-800:]}")
pp.check(said in err7 and said in err8, "the unresolved phase is said either way")
pp.check(len(unresolved(doc7)) == 2 and unresolved(doc7) == unresolved(doc8),
         f"same whys either way:\n{unresolved(doc7)}\n{unresolved(doc8)}")
pp.check(probes(doc7) == probes(doc8), "same probes")
ph = {p["name"]: p for p in doc8["phases"]}
pp.check(ppclock.agree(ph["load"]["wall_ns"], doc8["own_clock"]["load"]), "and load is still timed")
# a library that may be installed later: not cached
lib = misses("phase teardown optional\n\tduring lib:libphaseprof-not-installed.so.9:pt_x\n")
err9, _ = record(*lib)
err10, _ = record(*lib)
pp.check("plan not cached: site" in err9 and ".plan from the cache" not in err10,
         f"a missing library keeps the plan out of the cache: {err10[-600:]}")

# bounded: past 512 entries, a write removes the oldest (these 600 are older than any plan)
for i in range(600):
    old = os.path.join(cache, f"{i:016x}.plan")
    with open(old, "w") as f:
        f.write("phaseprof-plan 2\nend\n")
    os.utime(old, (1000000000 + i, 1000000000 + i))
os.utime(binary)  # another binary as far as the cache knows: the next run writes a plan
err6, _ = record()
left = sorted(os.listdir(cache))
pp.check(".plan cached" in err6 and len(left) == 512, f"512 entries stay: {len(left)}")
pp.check(f"{0:016x}.plan" not in left and f"{599:016x}.plan" in left, "the oldest went")
pp.done()
