"""Each CPU's perf records come in a ring of their own: a library the runtime
maps on another CPU than the one it exec'd on must still be named in its
stacks (mmaps__read() takes one drain's records in time order). Taken ring
by ring, the exec's record cleared the maps after libm's mapping and most
samples were lost. migratetest exec's on CPU 1 (taskset), moves to CPU 0,
dlopens libm and spends 300 ms in sin()."""
import os
import pp

pp.need_root()
if not {0, 1} <= os.sched_getaffinity(0):
    pp.skip("needs CPUs 0 and 1 to map a library on another CPU than the exec")
taskset = pp.need_program("taskset")
prog = os.path.join(pp.BUILD_DIR, "tests", "migratetest")
out = pp.tmpdir()
r = pp.run([taskset, "-c", "1", pp.PHASEPROF, "-x", prog, "-o", out, "--", "300"])
pp.check(r.returncode == 0, f"record: {r.returncode}\n{r.stderr[-1500:]}")
counts = {}
with open(os.path.join(out, "stacks.folded")) as f:
    for line in f:
        stack, n = line.rsplit(" ", 1)
        counts[stack] = int(n)
total = sum(counts.values())
in_sin = sum(n for s, n in counts.items() if "sin" in s.split(";")[-1])
# the loop is sin() and a clock read: most of its on-CPU samples land in libm
pp.check(total >= 30 and in_sin * 2 > total,
         f"samples in libm's sin named: {in_sin} of {total}\n" +
         "\n".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda x: -x[1])[:5]))
pp.done()
