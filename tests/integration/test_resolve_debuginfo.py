"""test_resolve_debuginfo.py: symbols that are not in the binary itself.

1. A stripped binary whose debug file sits under DIR/.build-id/xx/rest.debug
   resolves fully with --debuginfo DIR.
2. The same stripped binary without it fails with exit 66 and a message
   naming its build-id and the places searched.
3. MiniDebugInfo: a .gnu_debugdata section made as distributions do (local
   functions only, xz), on a binary without .symtab: its statics resolve."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

SOURCE = r'''
#include <stdio.h>
static int __attribute__((noinline)) parse_header(const char *s) { return s[0] + 1; }
static int __attribute__((noinline)) validate_body(int x) { return x * 3 + parse_header("v"); }
int __attribute__((noinline)) compile_module(int x) { return validate_body(x) + 7; }
int __attribute__((noinline)) instantiate(int x) { return compile_module(x) * 2; }
int main(int argc, char **argv) { printf("%d\n", instantiate(argc)); return 0; }
'''

FUNCS = ["parse_header", "validate_body", "compile_module", "instantiate", "main"]


def sh(cmd, what):
    r = pp.run(cmd)
    if r.returncode:
        pp.skip(f"{what} failed: {r.stderr[:300]}")
    return r


def nm_funcs(path):
    out = {}
    for line in pp.run(["nm", "-S", "--defined-only", path]).stdout.splitlines():
        p = line.split()
        if len(p) == 4 and p[2] in "Tt" and int(p[1], 16):
            out[p[3]] = int(p[0], 16)
    return out


def build_id(path):
    r = pp.run(["readelf", "-n", path])
    for line in r.stdout.splitlines():
        if "Build ID:" in line:
            return line.split("Build ID:")[1].strip()
    return None


def resolve(exe, specs, extra=()):
    r = pp.phaseprof(["resolve", "-x", exe, "--json"] + list(extra) + list(specs))
    try:
        return r, json.loads(r.stdout)
    except ValueError:
        return r, None


def check_resolves(exe, funcs, extra, what):
    r, out = resolve(exe, FUNCS, extra)
    if not pp.check(r.returncode == 0 and out is not None,
                    f"{what}: exit {r.returncode}: {r.stderr[:400]}"):
        return
    got = {o["input"]: int(o["vaddr"], 16) for o in out if o.get("name")}
    for f in FUNCS:
        pp.check(got.get(f) == funcs[f], f"{what}: {f} at {hex(funcs[f])}, got {got.get(f)}")


def test_build_id_dir(tmp, exe, funcs):
    bid = build_id(exe)
    if not bid:
        pp.skip("gcc made no build-id")
    stripped = os.path.join(tmp, "stripped")
    dbgdir = os.path.join(tmp, "dbg")
    os.makedirs(os.path.join(dbgdir, ".build-id", bid[:2]))
    sh(["objcopy", "--only-keep-debug", exe,
        os.path.join(dbgdir, ".build-id", bid[:2], bid[2:] + ".debug")], "objcopy --only-keep-debug")
    sh(["strip", "--strip-all", "-o", stripped, exe], "strip")
    pp.check(not nm_funcs(stripped), "the stripped binary has no .symtab functions")
    check_resolves(stripped, funcs, ["--debuginfo", dbgdir], "stripped + --debuginfo")

    r = pp.phaseprof(["resolve", "-x", stripped, "compile_module"])
    pp.check(r.returncode == 66, f"stripped without debug file: exit 66, got {r.returncode}")
    pp.check(bid in r.stderr, f"the error names the build-id {bid}: {r.stderr}")
    pp.check(f"/usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug" in r.stderr,
             f"the error names the build-id path searched: {r.stderr}")
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    r = pp.phaseprof(["resolve", "-x", stripped, "--debuginfo", empty, "compile_module"])
    pp.check(r.returncode == 66 and f"{empty}/.build-id/{bid[:2]}/{bid[2:]}.debug" in r.stderr,
             f"the error names the --debuginfo path searched: {r.stderr}")


def test_minidebuginfo(tmp, exe, funcs):
    pp.need_program("xz")
    dyn = {l.split()[0] for l in pp.run(["nm", "-D", "--format=posix", "--defined-only", exe])
           .stdout.splitlines() if l.split()}
    keep = sorted(n for n in funcs if n not in dyn)
    keepfile = os.path.join(tmp, "keep_symbols")
    with open(keepfile, "w") as f:
        f.write("\n".join(keep) + "\n")
    debug = os.path.join(tmp, "debug")
    mini = os.path.join(tmp, "mini_debuginfo")
    sh(["objcopy", "--only-keep-debug", exe, debug], "objcopy --only-keep-debug")
    sh(["objcopy", "-S", "--remove-section", ".gdb_index", "--remove-section", ".comment",
        "--keep-symbols=" + keepfile, debug, mini], "objcopy --keep-symbols")
    sh(["xz", "-f", mini], "xz")
    out = os.path.join(tmp, "minidebug")
    sh(["strip", "--strip-all", "--remove-section", ".comment", "-o", out, exe], "strip")
    sh(["objcopy", "--add-section", ".gnu_debugdata=" + mini + ".xz", out], "objcopy --add-section")
    pp.check(not nm_funcs(out), "the MiniDebugInfo binary has no .symtab functions")
    check_resolves(out, funcs, [], "MiniDebugInfo")


def main():
    if not os.path.exists(pp.PHASEPROF):
        pp.skip(f"no phaseprof binary at {pp.PHASEPROF}")
    for prog in ("gcc", "objcopy", "strip", "nm", "readelf"):
        pp.need_program(prog)
    tmp = pp.tmpdir()
    src = os.path.join(tmp, "app.c")
    exe = os.path.join(tmp, "app")
    with open(src, "w") as f:
        f.write(SOURCE)
    sh(["gcc", "-O1", "-g", "-Wl,--build-id", "-o", exe, src], "gcc")
    funcs = nm_funcs(exe)
    test_build_id_dir(tmp, exe, funcs)
    test_minidebuginfo(tmp, exe, funcs)
    shutil.rmtree(tmp, ignore_errors=True)
    pp.done()


main()
