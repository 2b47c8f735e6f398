"""pp.py: what every integration test shares: where phaseprof and the build
are, running commands, checks that keep going and a closing count, and SKIP
(exit 77, which ctest reports as skipped) with a reason."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

SOURCE_DIR = os.environ.get("PHASEPROF_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD_DIR = os.environ.get("PHASEPROF_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
PHASEPROF = os.environ.get("PHASEPROF", os.path.join(BUILD_DIR, "phaseprof"))
PHASETEST = os.path.join(BUILD_DIR, "tests", "phasetest")
TEST_PROBES = os.path.join(SOURCE_DIR, "tests", "probes")
EXAMPLE_WASM = os.path.join(BUILD_DIR, "examples", "fib.wasm")

_failed = 0
_passed = 0


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(77)


def need_root():
    if os.geteuid() != 0:
        skip("needs root (BPF, uprobes)")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("kernel has no BTF (/sys/kernel/btf/vmlinux)")


def need_program(name):
    path = shutil.which(name)
    if not path:
        skip(f"{name} is not installed")
    return path


def real_runtimes():
    """The real runtime builds of $PHASEPROF_RUNTIMES (a directory of binaries):
    {name: path} of the executables in it, or SKIP with the reason."""
    d = os.environ.get("PHASEPROF_RUNTIMES")
    if not d:
        skip("PHASEPROF_RUNTIMES is not set (a directory of real runtime builds; "
             "tools/check.sh sets it to /opt/phaseprof-runtimes/bin when that exists)")
    if not os.path.isdir(d):
        skip(f"PHASEPROF_RUNTIMES={d} is not a directory")
    found = {}
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            found[name] = path
    if not found:
        skip(f"no executables in PHASEPROF_RUNTIMES={d}")
    return found


def run(cmd, **kw):
    """Run a command (a list, never a shell string); return CompletedProcess with text output."""
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 300)
    return subprocess.run(cmd, **kw)


def phaseprof(args, **kw):
    env = dict(os.environ)
    env.setdefault("PHASEPROF_PROBE_PATH", TEST_PROBES)
    env.update(kw.pop("env", {}))
    return run([PHASEPROF] + list(args), env=env, **kw)


def tmpdir():
    d = tempfile.mkdtemp(prefix="pptest.")
    return d


def load_json(path):
    with open(path) as f:
        return json.load(f)


def check(cond, what):
    """Record one check; print it when it fails. Tests go on after a failure."""
    global _failed, _passed
    if cond:
        _passed += 1
    else:
        _failed += 1
        print(f"FAIL: {what}")
    return cond


def near(value, expected, tolerance, what):
    return check(abs(value - expected) <= tolerance,
                 f"{what}: {value} not within {tolerance} of {expected}")


def done():
    print(f"{_passed} passed, {_failed} failed")
    sys.exit(1 if _failed else 0)
