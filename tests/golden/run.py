#!/usr/bin/env python3
"""run.py GOLDEN_PHASES FLAMEGRAPH: golden tests that need no root (as
uftrace's test suite has them). Each case's output is compared with its
expected file in this directory:

  NAME.events  recorded event stream -> golden_phases (the phase model, the
               table and phases.json) -> NAME.expected
  NAME.folded  canned folded stacks -> phaseprof-flamegraph -> NAME.svg.expected;
               NAME.args holds its options, one per line ("diff" first for a
               differential graph; "input=OTHER.folded" to reuse stacks)

Outputs are normalized before the comparison: the flame graph's embedded
script (flame.js, tested by test_flamegraph_browser) is cut out, and the
version string is replaced.

To regenerate the expected files after an intended change of output, run
    PHASEPROF_GOLDEN_REGEN=1 ctest -R golden
(or this script with that variable set), then review `git diff tests/golden`."""
import difflib
import glob
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import ppschema  # noqa: E402  (the schema of phaseprof-json(5))


def normalize(text):
    text = re.sub(r"<script[^>]*>.*?</script>", "<script/>", text, flags=re.S)
    return re.sub(r"phaseprof \d+\.\d+\.\d+", "phaseprof VERSION", text)


def phases_case(tool, events):
    r = subprocess.run([tool, events], capture_output=True, text=True)
    status = r.returncode
    if status == 0:
        # the phases.json part holds to phaseprof-json(5) as well
        doc = json.loads(r.stdout.split("--- phases.json\n", 1)[1])
        problems = ppschema.validate(doc)
        if problems:
            print(f"FAIL: {os.path.basename(events)}: phases.json against the schema: {problems}")
            status = 1
    return status, r.stdout + r.stderr, events[:-len(".events")] + ".expected"


def flame_case(tool, args_file, name):
    args, src = [], os.path.join(HERE, name + ".folded")
    if os.path.exists(args_file):
        with open(args_file) as f:
            for line in f.read().splitlines():
                if line.startswith("input="):
                    src = os.path.join(HERE, line[len("input="):])
                elif line:
                    args.append(line)
    verb = ["diff"] if args[:1] == ["diff"] else ["flamegraph"]
    args = args[1:] if verb == ["diff"] else args
    r = subprocess.run([tool] + verb + args + [src], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr, os.path.join(HERE, name + ".svg.expected")


def main():
    golden_phases, flamegraph = sys.argv[1], sys.argv[2]
    regen = os.environ.get("PHASEPROF_GOLDEN_REGEN") == "1"
    cases = [phases_case(golden_phases, e) for e in sorted(glob.glob(os.path.join(HERE, "*.events")))]
    names = {os.path.basename(p).rsplit(".", 1)[0]
             for p in glob.glob(os.path.join(HERE, "*.folded")) + glob.glob(os.path.join(HERE, "*.args"))}
    cases += [flame_case(flamegraph, os.path.join(HERE, n + ".args"), n) for n in sorted(names)]
    failed = 0
    for status, out, expected in cases:
        name = os.path.basename(expected)
        out = normalize(out)
        if status != 0:
            print(f"FAIL: {name}: exit {status}\n{out[-2000:]}")
            failed += 1
            continue
        if regen:
            with open(expected, "w") as f:
                f.write(out)
            print(f"regenerated {name}")
            continue
        try:
            with open(expected) as f:
                want = f.read()
        except OSError:
            print(f"FAIL: {name}: no expected file (PHASEPROF_GOLDEN_REGEN=1 makes it)")
            failed += 1
            continue
        if out != want:
            failed += 1
            diff = difflib.unified_diff(want.splitlines(), out.splitlines(), "expected", "got",
                                        lineterm="", n=2)
            print(f"FAIL: {name} differs:\n" + "\n".join(list(diff)[:60]))
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
