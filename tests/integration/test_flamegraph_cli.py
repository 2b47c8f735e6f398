"""test_flamegraph_cli.py: flame graphs as a user meets them. The SVG is never
written to a terminal (exit 64 and a hint); a run's graph is titled with its
runtime, version, app and date, by record and by `phaseprof flamegraph
DIR/stacks.folded`, and --title overrides it; a diff of two runtimes lines
up by phase, without the process frames; phase frames come in run order; an
unknown frame is never named like a phase."""
import json
import os
import pty
import re
import subprocess
import pp

DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d"


def title(svg):
    m = re.search(r'<text id="title"[^>]*>([^<]*)<', svg)
    return m.group(1) if m else None


def test_terminal(folded):
    for args in (["flamegraph", folded], ["diff", folded, folded]):
        master, slave = pty.openpty()
        try:
            r = subprocess.run([pp.PHASEPROF] + args, stdout=slave, stderr=subprocess.PIPE,
                               text=True, timeout=60)
        finally:
            os.close(slave)
            os.close(master)
        pp.check(r.returncode == 64 and "terminal" in r.stderr and "> " in r.stderr,
                 f"{args[0]} refuses to write SVG to a terminal, with a hint: "
                 f"{r.returncode} {r.stderr}")


def test_titles(tmp):
    run = os.path.join(tmp, "run")
    os.makedirs(run)
    folded = os.path.join(run, "stacks.folded")
    with open(folded, "w") as f:
        f.write("wasmtime;[execute];main 10\n")
    r = pp.phaseprof(["flamegraph", folded])
    pp.check(title(r.stdout) == "Flame Graph", f"no phases.json: the plain title: {title(r.stdout)}")
    with open(os.path.join(run, "phases.json"), "w") as f:
        json.dump({"runtime": {"name": "wasmtime", "path": "/usr/bin/wasmtime",
                               "version": "v25.0.0"},
                   "command": ["/usr/bin/wasmtime", "run", "/x/fib.wasm", "30"]}, f)
    r = pp.phaseprof(["flamegraph", folded])
    t = title(r.stdout) or ""
    pp.check(re.fullmatch(rf"wasmtime v25\.0\.0: fib\.wasm, {DATE}", t),
             f"title from the run's phases.json: runtime, version, app, date: {t}")
    r = pp.phaseprof(["flamegraph", "--title", "mine", folded])
    pp.check(title(r.stdout) == "mine", f"--title overrides it: {title(r.stdout)}")


def test_diff_by_phase(tmp):
    a, b = os.path.join(tmp, "a.folded"), os.path.join(tmp, "b.folded")
    with open(a, "w") as f:
        f.write("node;[compile];liftoff 30\nnode;[execute];fib 70\n")
    with open(b, "w") as f:
        f.write("wasm-interp;[load];read 10\nwasm-interp;[execute];fib 90\n")
    r = pp.phaseprof(["diff", "--folded", a, b])
    lines = sorted(r.stdout.splitlines())
    pp.check(r.returncode == 0 and lines == ["[compile];liftoff 30 0", "[execute];fib 70 90",
                                             "[load];read 0 10"],
             f"diff lines up by phase, process frames left out: {lines}")
    return a


def test_order(tmp):
    f = os.path.join(tmp, "order.folded")
    with open(f, "w") as out:
        for ph in ("teardown", "execute", "compile", "load", "startup"):
            out.write(f"p;[{ph}];x 10\n")
    svg = pp.phaseprof(["flamegraph", f]).stdout
    xs = []
    for ph in ("startup", "load", "compile", "execute", "teardown"):
        m = re.search(rf"<title>\[{ph}\] \(.*?</title>\s*<rect x=\"([\d.]+)\"", svg, re.S)
        xs.append(float(m.group(1)) if m else -1)
    pp.check(xs == sorted(xs) and -1 not in xs, f"phase frames in run order: x {xs}")


def test_record(tmp):
    if os.geteuid() != 0 or not os.path.exists("/sys/kernel/btf/vmlinux"):
        print("note: not root or no BTF; record's own graph not checked")
        return
    out = os.path.join(tmp, "rec")
    r = pp.phaseprof(["-x", pp.PHASETEST, "-o", out, "-F", "4999", "--", "execute=30:busy"])
    if not pp.check(r.returncode == 0, f"record phasetest: {r.stderr[-800:]}"):
        return
    with open(os.path.join(out, "flamegraph.svg")) as f:
        t = title(f.read()) or ""
    pp.check(re.fullmatch(rf"phasetest: execute=30:busy, {DATE}", t),
             f"record's flamegraph.svg names runtime, app and date: {t}")
    with open(os.path.join(out, "stacks.folded")) as f:
        frames = {fr for line in f for fr in line.rsplit(" ", 1)[0].split(";")[2:]}
    pp.check("[unknown]" not in frames, "no frame is named [unknown], the fallback's phase")


def main():
    if not os.path.exists(pp.PHASEPROF):
        pp.skip(f"no phaseprof binary at {pp.PHASEPROF}")
    tmp = pp.tmpdir()
    test_titles(tmp)
    a = test_diff_by_phase(tmp)
    test_terminal(a)
    test_order(tmp)
    test_record(tmp)
    pp.done()


main()
