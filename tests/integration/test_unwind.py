"""DWARF unwinding of sampled stacks: a program built here with -O2
-fomit-frame-pointer, with a deep known call chain and a deep recursion, has
at least 95% of its samples unwound to main along the expected path; frame
pointers alone do not get there; and node's stacks are complete.

The program runs for a fixed amount of CPU time, not wall time, so that a
busy machine does not starve the test of samples. A sample may fall anywhere
on the path: in leaf or recurse (most), in a chain function's own code, or in
work's clock reads (work;clock_gettime;[vdso]: the vDSO is unwound through
its CFI, see unwind.c); each is a correct stack if it follows the path from
main. node's share of complete stacks is checked as a statistic: it fails
only when the share is below 90% with 99% confidence over its samples."""
import math
import os
import re
import pp

pp.need_root()
tmp = pp.tmpdir()
os.chmod(tmp, 0o755)
DEPTH, RECURSION = 20, 40

# chain_01 -> chain_02 -> ... -> chain_20 -> recurse (40 deep) -> leaf, from work()
src = ["#include <stdio.h>", "#include <stdlib.h>", "#include <time.h>",
       "#define NOINLINE __attribute__((noinline))",
       "static volatile unsigned long sink;",
       "static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);"
       " return t.tv_sec + t.tv_nsec / 1e9; }",
       "static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);"
       " return t.tv_sec + t.tv_nsec / 1e9; }",
       "NOINLINE unsigned long leaf(unsigned long x) { for (int i = 0; i < 2000; i++)"
       " x = x * 6364136223846793005UL + 1442695040888963407UL; return x; }",
       "NOINLINE unsigned long recurse(int n, unsigned long x) { unsigned long r ="
       " n ? recurse(n - 1, x ^ n) : leaf(x); sink += r; return r + 1; }"]
src.append(f"NOINLINE unsigned long chain_{DEPTH + 1:02d}(unsigned long x) "
           f"{{ unsigned long r = recurse({RECURSION}, x); sink += r; return r + 1; }}")
for i in range(DEPTH, 0, -1):
    src.append(f"NOINLINE unsigned long chain_{i:02d}(unsigned long x) "
               f"{{ unsigned long r = chain_{i + 1:02d}(x + {i}); sink += r; return r + 1; }}")
# seconds of CPU time; now() (through the vDSO) is read too, as a runtime's timers do
src.append("NOINLINE void work(double seconds) { double end = cpu() + seconds;"
           " while (cpu() < end) { sink += chain_01(sink); sink += (unsigned long)now(); } }")
src.append("int main(int argc, char **argv) { work(argc > 1 ? atof(argv[1]) : 0.5);"
           " printf(\"done\\n\"); return 0; }")


def build(name, lines, phase_function):
    """name built from lines as release runtimes are (-O2, no frame pointers), and a
    profile whose execute phase is phase_function: (binary, profile)."""
    c = os.path.join(tmp, name + ".c")
    with open(c, "w") as f:
        f.write("\n".join(lines) + "\n")
    binary = os.path.join(tmp, name)
    r = pp.run(["gcc", "-O2", "-fomit-frame-pointer", "-g", "-o", binary, c])
    pp.check(r.returncode == 0, f"{name} builds: {r.stderr}")
    probe = os.path.join(tmp, name + ".probe")
    with open(probe, "w") as f:
        f.write(f"profile {name}\nbinaries {name}\nphase execute\n\tduring {phase_function}\n")
    return binary, probe


binary, probe = build("deep", src, "work")

expected = ["main", "work"] + [f"chain_{i:02d}" for i in range(1, DEPTH + 2)]


def execute_stacks(mode):
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", binary, "--probes", probe, "--call-graph", mode, "-F", "999",
                      "-o", out, "--", "0.6"])
    pp.check(r.returncode == 0 and r.stdout == "done\n", f"{mode}: {r.returncode} {r.stderr}")
    doc = pp.load_json(os.path.join(out, "phases.json"))
    stacks = []
    with open(os.path.join(out, "stacks.folded")) as f:
        for line in f:
            frames, count = line.rstrip("\n").rsplit(" ", 1)
            frames = frames.split(";")
            if frames[1] == "[execute]":
                user = [x for x in frames[2:] if not x.endswith("_[k]")]
                stacks.append((user, int(count)))
    return doc, stacks


CLOCK_FRAMES = ("[vdso]", "clock_gettime", "__clock_gettime", "__clock_gettime64")


def clock_frame(name):
    """A frame of the clock read: libc's wrapper, or the vDSO, named or not."""
    return name in CLOCK_FRAMES or name.startswith("__vdso_")


def on_path(user):
    """From main along the path: main, work, a prefix of the chain; past the
    whole chain only recurse frames and leaf; off the chain only clock reads."""
    if "main" not in user:
        return False
    rest = user[user.index("main"):]
    if rest[:2] != ["main", "work"]:
        return False
    k = 2
    while k < len(rest) and k < len(expected) and rest[k] == expected[k]:
        k += 1
    tail = rest[k:]
    if k == len(expected):
        return exact(user)
    return all(clock_frame(x) for x in tail) and (k == 2 or not tail)


def exact(user):
    """main, work, the whole chain, then only recurse frames, then maybe leaf."""
    if "main" not in user:
        return False
    rest = user[user.index("main"):]
    if rest[:len(expected)] != expected:
        return False
    tail = rest[len(expected):]
    # the vDSO's frames are named (__vdso_clock_gettime) where a function covers them
    while tail and (tail[-1] in ("leaf", "[vdso]", "clock_gettime", "__clock_gettime") or
                    tail[-1].startswith("__vdso_")):
        tail = tail[:-1]
    return all(x == "recurse" for x in tail) and len(tail) <= RECURSION + 1


doc, stacks = execute_stacks("dwarf")
total = sum(c for _, c in stacks)
good = sum(c for u, c in stacks if on_path(u))
full = sum(c for u, c in stacks if exact(u))
pp.check(total > 400, f"enough samples: {total}")
pp.check(good >= 0.95 * total, f"dwarf: {good} of {total} samples unwind to main along the path "
         f"({100 * good / max(total, 1):.1f}%)")
pp.check(full >= 0.5 * total, f"dwarf: most samples are in the deep part: {full} of {total}")
pp.check(doc["samples"]["call_graph"] == "dwarf", "dwarf mode")
deepest = max((u.count("recurse") for u, _ in stacks), default=0)
pp.check(deepest >= RECURSION, f"the deep recursion is unwound: {deepest} frames")
bad = [(u, c) for u, c in stacks if not on_path(u)]
if bad and good < 0.95 * total:
    for u, c in sorted(bad, key=lambda x: -x[1])[:3]:
        print("not exact:", c, ";".join(u)[:300])

# the copy stays at 16 KiB where stacks are shallower (this one is a few KiB)
pp.check(doc["samples"].get("stack_copy") == 16384,
         f"a shallow stack keeps the first copy size: {doc['samples'].get('stack_copy')}")

# a stack deeper than the first copy (12 frames of 1.5 KiB: about 20 KiB):
# later samples copy twice as much, and only the first few are cut short (the
# includes, sink, cpu() and leaf() of deep.c, then its own frames)
wide, wide_probe = build("wide", src[:5] + [src[6], src[7],
    "NOINLINE unsigned long wide(int n, unsigned long x) { volatile char pad[1536];"
    " pad[n] = (char)x; unsigned long r = n ? wide(n - 1, x ^ pad[n]) : leaf(x);"
    " sink += r; return r + 1; }",
    "int main(int argc, char **argv) { double end = cpu() + atof(argv[1]);"
    " while (cpu() < end) sink += wide(11, sink); printf(\"done\\n\"); return 0; }"], "main")
out = pp.tmpdir()
r = pp.phaseprof(["-v", "-x", wide, "--probes", wide_probe, "--call-graph", "dwarf", "-F", "999",
                  "-o", out, "--", "0.6"])
pp.check(r.returncode == 0 and "a stack went deeper than the copy: 32768 bytes" in r.stderr,
         f"the copy grows: {r.returncode} {r.stderr[-1500:]}")
s = pp.load_json(os.path.join(out, "phases.json"))["samples"]
pp.check(s.get("stack_copy") == 32768, f"the last samples copied 32 KiB: {s.get('stack_copy')}")
# at 16 KiB all but a few would be cut short: only those read before it grew are
pp.check(s["total"] > 300 and s["complete"] >= 0.85 * s["total"],
         f"deep stacks complete once the copy grew: {s['complete']} of {s['total']}")

# auto chooses dwarf for a binary without frame pointers
doc, _ = execute_stacks("auto")
pp.check(doc["samples"]["call_graph"] == "dwarf", "auto picks dwarf without frame pointers")

# frame pointers alone do not get there: the test is not trivially passed
doc, stacks = execute_stacks("fp")
fp_total = sum(c for _, c in stacks)
fp_good = sum(c for u, c in stacks if exact(u))
pp.check(fp_good < 0.5 * fp_total, f"fp mode cannot unwind it ({fp_good} of {fp_total})")

# node: the share of complete stacks, in phases.json
funcs = os.path.join(pp.BUILD_DIR, "examples", "funcs.wasm")
if pp.run(["which", "node"]).stdout and os.path.exists(funcs):
    # one run of funcs.wasm is ~100 samples: six runs' together
    n = complete = 0
    for _ in range(6):
        out = pp.tmpdir()
        r = pp.phaseprof(["-x", "node", "-o", out, "--", funcs])
        pp.check(r.returncode == 0, f"node: {r.returncode} {r.stderr}")
        doc = pp.load_json(os.path.join(out, "phases.json"))
        n += doc["samples"]["total"]
        complete += doc["samples"]["complete"]
    share = complete / max(n, 1)
    # one-sided 99% bound (z = 2.33) on a share near 0.9 over n samples
    margin = 2.33 * math.sqrt(0.9 * 0.1 / max(n, 1))
    pp.check(n >= 300, f"node: enough samples: {n}")
    pp.check(share >= 0.9 - margin, f"node: complete_stacks {share:.3f} of {n} samples "
             f"(bound {0.9 - margin:.3f})")
pp.done()
