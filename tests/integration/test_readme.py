"""test_readme.py: the README's commands work as written. Every command in
a ```sh block, and every '$ ' line of a sample, is run (sudo dropped: the test
runs as root), with build/ meaning this build tree and installs going to a
temporary prefix instead of /usr/local. tools/check.sh is not run (it runs
this test); tools/demo.sh only when nothing is missing, as it would install
packages from the network otherwise. A sample's output must still look like
what phaseprof prints today: the same table header, phase rows and summary
lines."""
import os
import re
import shlex
import shutil
import pp

README = os.path.join(pp.SOURCE_DIR, "README.md")


def blocks():
    """(language, lines) of each fenced block."""
    with open(README) as f:
        text = f.read()
    return [(m.group(1), m.group(2).splitlines())
            for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)]


def commands():
    """(command, sample output lines or None) in README order."""
    out = []
    for lang, lines in blocks():
        if lang == "sh":
            for line in lines:
                cmd = line.split("#", 1)[0].strip()
                if cmd:
                    out.append((cmd, None))
        else:
            for i, line in enumerate(lines):
                if line.startswith("$ "):
                    rest = [l for l in lines[i + 1:]]
                    out.append((line[2:].strip(), rest))
    return out


def missing_packages():
    r = pp.run(["bash", "-c", f". {pp.SOURCE_DIR}/tools/deps.sh && missing_packages"])
    return r.stdout.split() if r.returncode == 0 else ["(deps.sh failed)"]


class Runner:
    def __init__(self):
        self.prefix = os.path.realpath(pp.tmpdir())
        self.cwd = pp.tmpdir()
        shutil.copy(pp.EXAMPLE_WASM, os.path.join(self.cwd, "app.wasm"))
        self.root = os.geteuid() == 0 and os.path.exists("/sys/kernel/btf/vmlinux")

    def words(self, cmd):
        """The command as this test runs it, or a reason not to run it."""
        w = shlex.split(cmd)
        if w[0] == "sudo":
            if not self.root:
                return None, "needs root and BPF"
            w = w[1:]
        if w[0] == "tools/check.sh":
            return None, "it runs every test, this one too"
        if w[0] == "tools/demo.sh":
            if os.path.realpath(pp.BUILD_DIR) != os.path.realpath(os.path.join(pp.SOURCE_DIR,
                                                                               "build")):
                return None, "it builds in the source tree's build/, not this build tree"
            missing = missing_packages()
            if missing or not self.root:
                return None, f"needs root and would install {missing} from the network"
            return [os.path.join(pp.SOURCE_DIR, w[0])] + w[1:], None
        if w[:2] == ["cmake", "--install"]:
            # never into the real /usr/local: the prefix given, or the default, goes to a temp dir
            w = [x for i, x in enumerate(w) if x != "--prefix" and w[i - 1] != "--prefix"]
            w += ["--prefix", self.prefix]
        if w[0] == "phaseprof":
            w[0] = os.path.join(self.prefix, "bin", "phaseprof")
        return [self.path(x) for x in w], None

    def path(self, word):
        if word == "build" or word.startswith("build/"):
            return os.path.join(pp.BUILD_DIR, word[6:]) if word != "build" else pp.BUILD_DIR
        return word


def check_sample(cmd, r, sample):
    """The sample's shape is today's: header, phase names, summary lines."""
    err = r.stderr.splitlines()
    for line in sample:
        if line.strip().startswith("phase "):
            pp.check(line.split() in [l.split() for l in err],
                     f"'{cmd}': the README's table header is today's: {line.strip()}")
        elif re.match(r"\s+(\w+)\s+[\d.]+", line):
            name, ncols = line.split()[0], len(line.split())
            got = [l.split() for l in err if l.split()[:1] == [name]]
            pp.check(got and len(got[0]) == ncols,
                     f"'{cmd}': a row '{name}' with {ncols} columns, as in the README: {got}")
        elif line.strip().split(":")[0] in ("probes", "stacks"):
            key = line.strip().split(":")[0] + ":"
            pp.check(any(l.strip().startswith(key) for l in err),
                     f"'{cmd}': a '{key}' line, as in the README")
        elif line and not line.startswith("phaseprof:"):
            pp.check(line in r.stdout.splitlines(), f"'{cmd}': the app prints '{line}'")


def main():
    if not os.path.exists(pp.PHASEPROF):
        pp.skip(f"no phaseprof binary at {pp.PHASEPROF}")
    if not os.path.exists(pp.EXAMPLE_WASM):
        pp.skip(f"no example app at {pp.EXAMPLE_WASM}")
    run = Runner()
    ran = 0
    for cmd, sample in commands():
        argv, why = run.words(cmd)
        if argv is None:
            print(f"note: not run: {cmd}: {why}")
            continue
        cwd = pp.SOURCE_DIR if "build/" in cmd or cmd.startswith("tools/") else run.cwd
        if "-o" in argv and "out" in argv and cwd == pp.SOURCE_DIR:
            argv[argv.index("out")] = os.path.join(run.cwd, "out")
        r = pp.run(argv, cwd=cwd, timeout=900)
        ran += 1
        pp.check(r.returncode == 0, f"README command '{cmd}' exits 0, not {r.returncode}: "
                                    f"{r.stderr[-1500:]}")
        if sample:
            check_sample(cmd, r, sample)
    pp.check(ran >= 4, f"the README's commands ran: {ran}")
    pp.done()


main()
