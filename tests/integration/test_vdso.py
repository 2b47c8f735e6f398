"""test_vdso.py: a program whose hot loop reads the clock spends its time in
the vDSO. Its samples name the vDSO's functions (from phaseprof's own copy
of this kernel's vDSO image) instead of ending at [vdso], and the stacks go
on through them into main: with DWARF unwinding (through sc_clock) and with
frame pointers."""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

TEST = os.path.join(pp.BUILD_DIR, "tests", "syscalltest")


def check(mode, callers):
    out = pp.tmpdir()
    r = pp.phaseprof(["-x", TEST, "--call-graph", mode, "-o", out, "--", "clock=4000000"])
    if not pp.check(r.returncode == 0, f"{mode}: exit {r.returncode}: {r.stderr}"):
        return
    total = vdso_named = bare = 0
    with open(os.path.join(out, "stacks.folded")) as f:
        for line in f:
            stack, n = line.rstrip("\n").rsplit(" ", 1)
            frames = stack.split(";")
            if frames[1] != "[execute]":
                continue
            total += int(n)
            bare += int(n) if "[vdso]" in frames else 0
            named = [i for i, fr in enumerate(frames) if fr.startswith("__vdso_")]
            if named and all(c in frames[:named[0]] for c in callers):
                vdso_named += int(n)
    shutil.rmtree(out, ignore_errors=True)
    pp.check(total > 20, f"{mode}: execute was sampled: {total}")
    pp.check(vdso_named >= 0.7 * total,
             f"{mode}: {vdso_named} of {total} samples in a named vDSO function under {callers}")
    pp.check(bare <= 0.05 * total, f"{mode}: {bare} of {total} samples end at a bare [vdso]")


def main():
    pp.need_root()
    if not os.path.exists(TEST):
        pp.skip(f"{TEST} is not built")
    if not os.path.exists("/proc/self/auxv"):
        pp.skip("no auxiliary vector to find the vDSO by")
    check("dwarf", ["main", "sc_clock"])
    # a frame-pointer walk skips the caller of a frameless leaf: main is what remains
    check("fp", ["main"])
    pp.done()


if __name__ == "__main__":
    main()
