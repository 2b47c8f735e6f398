"""The runtime's stdin, stdout and exit status pass through phaseprof
untouched: a zero exit, a non-zero exit, and a crash by signal."""
import pp

pp.need_root()


def both(args, stdin=None):
    bare = pp.run([pp.PHASETEST] + args, input=stdin)
    traced = pp.phaseprof(["-x", pp.PHASETEST, "--"] + args, input=stdin)
    return bare, traced


def bare_status(rc):
    # subprocess reports death by signal N as -N; a shell (and phaseprof) as 128+N
    return 128 - rc if rc < 0 else rc


cases = [
    (["print=hello world", "print=second line"], 0),
    (["print=before", "exit=3"], 3),
    (["print=before the crash", "crash=11"], 139),
    (["crash=6"], 134),
]
for args, expected in cases:
    bare, traced = both(args)
    pp.check(traced.stdout == bare.stdout, f"{args}: stdout {traced.stdout!r} != {bare.stdout!r}")
    pp.check(bare_status(bare.returncode) == expected, f"{args}: bare status {bare.returncode}")
    pp.check(traced.returncode == expected,
             f"{args}: phaseprof exits {traced.returncode}, want {expected}\n{traced.stderr}")
    if expected >= 128:
        pp.check("killed by signal" in traced.stderr, f"{args}: report says killed by signal")

data = "".join(f"line {i}\n" for i in range(5000))
bare, traced = both(["cat"], stdin=data)
pp.check(traced.stdout == data == bare.stdout, "stdin copied to stdout byte for byte")
pp.check(traced.returncode == 0, "cat exit")
pp.done()
