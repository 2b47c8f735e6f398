"""test_flamegraph_widths.py: render known folded stacks and read our SVG
back (xml.etree): widths proportional to counts, titles and counts right,
phase frames in their phase colours, names escaped; a diff colours the
frames that grew red and the ones that shrank blue; exit codes."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
SPAN = 1200 - 2 * 10  # drawable width at the default --width
PHASE_COLORS = {"[load]": "rgb(86,180,233)", "[compile]": "rgb(0,158,115)",
                "[execute]": "rgb(204,121,167)"}

FOLDED = """\
proc;[load];read 10
proc;[compile];cl;regalloc 30
proc;[compile];cl;emit 20\r
proc;[execute];fib_[j] 35
proc;[execute];sys_write_[k] 5
this line has no count
proc;[execute];esc<&>"' 0
"""
# expected inclusive counts (display names: annotations stripped)
COUNTS = {"all": 100, "proc": 100, "[load]": 10, "read": 10, "[compile]": 50, "cl": 50,
          "regalloc": 30, "emit": 20, "[execute]": 40, "fib": 35, "sys_write": 5}


def flame_cmd(verb):
    """argv prefix for a verb: phaseprof if it has it yet, else phaseprof-flamegraph."""
    # look for the verb's usage text rather than run it: a phaseprof without
    # the verb would take it for a program to record
    if os.path.exists(pp.PHASEPROF):
        with open(pp.PHASEPROF, "rb") as f:
            if b"usage: phaseprof flamegraph" in f.read():
                return [pp.PHASEPROF, verb]
    alone = os.path.join(pp.BUILD_DIR, "flamegraph", "phaseprof-flamegraph")
    if os.path.exists(alone):
        return [alone, verb]
    pp.skip("neither phaseprof flamegraph nor phaseprof-flamegraph is built")


def frames(svg_text):
    """{name: (title, x, y, width, fill)} of every drawn frame, and the root element."""
    root = ET.fromstring(svg_text.encode())
    out = {}
    for g in root.find(f"{SVG}g[@id='frames']"):
        title = g.find(f"{SVG}title").text
        rect = g.find(f"{SVG}rect")
        name = re.match(r"^(.*) \(([0-9,]+) ", title, re.S).group(1)
        out[name] = (title, float(rect.get("x")), float(rect.get("y")),
                     float(rect.get("width")), rect.get("fill"))
    return out, root


def write(d, name, text, mode="w"):
    path = os.path.join(d, name)
    with open(path, mode) as f:
        f.write(text)
    return path


def test_widths(cmd, d):
    path = write(d, "known.folded", FOLDED, "w")
    r = pp.run(cmd + ["--title", "a<b & c", "--countname", "ms", path])
    pp.check(r.returncode == 0, f"render exits 0, not {r.returncode}: {r.stderr}")
    pp.check("skipped 1 of" in r.stderr, f"bad line reported on stderr: {r.stderr!r}")
    fr, root = frames(r.stdout)
    title = root.find(f"{SVG}text[@id='title']").text
    pp.check(title == "a<b & c", f"title is {title!r}")
    for name, count in COUNTS.items():
        if not pp.check(name in fr, f"frame {name} drawn"):
            continue
        t, x, y, w, fill = fr[name]
        pp.near(w, count * SPAN / 100, 0.02, f"width of {name}")
        want = f"{name} ({count} ms, {count * 100 / 100:.2f}%)"
        pp.check(t == want, f"title of {name} is {t!r}, want {want!r}")
    pp.check(not any(n.startswith("esc") for n in fr), "a zero-count stack is not drawn")
    for name, color in PHASE_COLORS.items():
        pp.check(fr[name][4] == color, f"{name} fill {fr[name][4]}, want {color}")
    # children sit inside their parent, one frame height up: phase frames in run
    # order ([load] before [compile], whatever the names' order), others by name
    pp.near(fr["[load]"][1], 10, 0.01, "[load] is first (run order)")
    pp.near(fr["[compile]"][1], 10 + 10 * SPAN / 100, 0.02, "[compile] after [load]")
    pp.near(fr["[execute]"][1], 10 + 60 * SPAN / 100, 0.02, "[execute] after [compile]")
    pp.near(fr["emit"][1], fr["cl"][1], 0.01, "emit first under cl")
    pp.near(fr["regalloc"][1], fr["emit"][1] + fr["emit"][3], 0.02, "regalloc after emit")
    pp.check(fr["cl"][2] < fr["[compile]"][2], "callee drawn above its caller")


def test_options(cmd, d):
    path = os.path.join(d, "known.folded")
    r = pp.run(cmd + ["--inverted", path])
    fr, _ = frames(r.stdout)
    pp.check(fr["all"][2] < fr["proc"][2] < fr["cl"][2], "--inverted puts the root on top")
    r = pp.run(cmd + ["--minwidth", "38%", path])
    fr, _ = frames(r.stdout)
    pp.check(set(fr) == {"all", "proc", "[compile]", "cl", "[execute]"},
             f"--minwidth 38% keeps the frames of 38% or more: {sorted(fr)}")
    r = pp.run(cmd + ["--reverse", path])
    fr, _ = frames(r.stdout)
    pp.check("regalloc" in fr and fr["regalloc"][2] > fr["cl"][2] and
             abs(fr["regalloc"][3] - 30 * SPAN / 100) < 0.02, "--reverse: leaves at the bottom")
    r = pp.run(cmd + ["--width", "600", "--height", "20", path])
    fr, root = frames(r.stdout)
    pp.check(root.get("width") == "600", "--width sets the image width")
    pp.near(fr["cl"][3], 50 * 580 / 100, 0.02, "widths scale with --width")
    pp.near(fr["proc"][2] - fr["cl"][2], 40, 0.01, "--height sets the frame pitch")
    r = pp.run(cmd + ["--hash", "--colors", "java", path])
    fr, _ = frames(r.stdout)
    pp.check(re.match(r"rgb\(\d+,\d+,0\)", fr["sys_write"][4]) is not None,
             f"java palette: a _[k] frame is orange ({fr['sys_write'][4]})")
    with open(path, "rb") as f:
        r = pp.run(cmd, input=f.read().decode(), text=True)
    pp.check(r.returncode == 0 and "<svg" in r.stdout, "reads stdin without a file")


def test_escaping(cmd, d):
    path = write(d, "bytes.folded", b"main;caf\xc3\xa9;bad\xff\x01name;<x&y> 7\n", "wb")
    r = subprocess.run(cmd + [path], capture_output=True)
    pp.check(r.returncode == 0, "renders names with invalid UTF-8")
    try:
        fr, _ = frames(r.stdout.decode("utf-8"))
        pp.check("caf\u00e9" in fr and "<x&y>" in fr, f"names survive escaping: {sorted(fr)}")
        pp.check("bad\ufffd\ufffdname" in fr, "invalid bytes become U+FFFD")
    except (ET.ParseError, UnicodeDecodeError) as e:
        pp.check(False, f"SVG is well-formed UTF-8 XML: {e}")


def test_errors(cmd, d):
    r = pp.run(cmd + ["--colors", "pink"])
    pp.check(r.returncode == 64, f"bad --colors exits 64, not {r.returncode}")
    pp.check(r.stderr.startswith("phaseprof: "), f"message style: {r.stderr!r}")
    r = pp.run(cmd + ["--bogus"])
    pp.check(r.returncode == 64, f"unknown option exits 64, not {r.returncode}")
    r = pp.run(cmd + [os.path.join(d, "missing.folded")])
    pp.check(r.returncode == 125, f"missing file exits 125, not {r.returncode}")
    pp.check("cannot open" in r.stderr, f"missing file message: {r.stderr!r}")
    r = pp.run(cmd + ["--help"])
    pp.check(r.returncode == 0 and "--minwidth" in r.stdout and "examples:" in r.stdout,
             "--help lists the options and examples")


def test_diff(d):
    cmd = flame_cmd("diff")
    a = write(d, "a.folded", "p;grow 100\np;shrink 100\np;same 200\n")
    b = write(d, "b.folded", "p;grow 90\np;shrink 10\np;same 100\n")
    r = pp.run(cmd + [a, b])
    pp.check(r.returncode == 0, f"diff exits 0: {r.stderr}")
    fr, root = frames(r.stdout)
    legend = root.find(f"{SVG}text[@id='legend']").text
    pp.check(legend.startswith("red: more in B") and "blue: less in B" in legend,
             f"legend: {legend!r}")
    rgb = {n: tuple(int(v) for v in re.findall(r"\d+", fr[n][4])) for n in fr}
    pp.check(rgb["grow"][0] == 255 and rgb["grow"][2] < 100, f"grow is red: {rgb['grow']}")
    pp.check(rgb["shrink"][2] == 255 and rgb["shrink"][0] < 100,
             f"shrink is blue: {rgb['shrink']}")
    pp.check(rgb["same"] == (245, 245, 245), f"same is neutral: {rgb['same']}")
    pp.near(fr["grow"][3], 90 * SPAN / 200, 0.02, "widths come from B")
    r = pp.run(cmd + ["--folded", a, b])
    lines = sorted(r.stdout.splitlines())
    pp.check(lines == ["p;grow 50 90", "p;same 100 100", "p;shrink 50 10"],
             f"--folded normalizes A to B's total: {lines}")
    r = pp.run(cmd + ["--folded", "--no-normalize", a, b])
    lines = sorted(r.stdout.splitlines())
    pp.check(lines == ["p;grow 100 90", "p;same 200 100", "p;shrink 100 10"],
             f"--no-normalize keeps raw counts: {lines}")
    ab = write(d, "ab.folded", "\n".join(lines) + "\n")
    r = pp.run(cmd + [ab])
    fr2, _ = frames(r.stdout)
    pp.check(fr2.get("grow", (0,) * 5)[4] == fr["grow"][4],
             "a 'stack A B' file gives the same graph")
    r = pp.run(cmd + [a])
    pp.check(r.returncode == 125 and "skipped" in r.stderr,
             f"one plain file: lines skipped, failure: {r.returncode}")
    r = pp.run(cmd + [a, b, a])
    pp.check(r.returncode == 64, f"three files is a usage error: {r.returncode}")


def main():
    cmd = flame_cmd("flamegraph")
    d = pp.tmpdir()
    test_widths(cmd, d)
    test_options(cmd, d)
    test_escaping(cmd, d)
    test_errors(cmd, d)
    test_diff(d)
    pp.done()


if __name__ == "__main__":
    main()
