"""test_resolve_cli.py: resolve on the command line as a new user meets it.
-x NAME is looked up on PATH, as every verb does; a glob matches the function
name, not the template arguments it was instantiated with, unless the glob has
a '<' itself; plain output has a column header; a source file is shown only
when it names one (not the C runtime file or the file before an LTO unit)."""
import json
import os
import shutil
import pp

TEMPLATES = r"""
namespace ns {
struct Compile {};
struct Fast {};
template <typename T> struct Decoder {
	__attribute__((noinline)) int Decode(int x) { return x * 3 + (int)sizeof(T); }
};
struct Compiler {
	__attribute__((noinline)) int Run(int x);
};
int Compiler::Run(int x) { return x + 1; }
}
int main(int c, char **)
{
	ns::Decoder<ns::Compile> a;
	ns::Decoder<ns::Fast> b;
	ns::Compiler k;
	return a.Decode(c) + b.Decode(c) + k.Run(c);
}
"""

UNIT_A = r"""
static __attribute__((noinline)) int helper_a(int x) { return x * 3 + 1; }
int api_a(int x) { return helper_a(x) + 2; }
"""

UNIT_B = r"""
static __attribute__((noinline)) int helper_b(int x) { return x * 5 + 7; }
int api_a(int);
int main(int c, char **v) { return helper_b(c) + api_a(c); }
"""


def build(tmp, name, compiler, sources, flags):
    paths = []
    for i, text in enumerate(sources):
        p = os.path.join(tmp, f"{name}{i}.{'cc' if compiler == 'g++' else 'c'}")
        with open(p, "w") as f:
            f.write(text)
        paths.append(p)
    exe = os.path.join(tmp, name)
    r = pp.run([compiler, "-O2", "-g"] + flags + ["-o", exe] + paths)
    if r.returncode:
        pp.skip(f"{compiler} failed: {r.stderr[:300]}")
    return exe


def resolve_json(args, **kw):
    r = pp.phaseprof(["resolve", "--json"] + args, **kw)
    try:
        return r, json.loads(r.stdout)
    except ValueError:
        return r, None


def test_path_lookup(tmp, exe):
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir)
    os.symlink(exe, os.path.join(bindir, "tmplrt"))
    env = {"PATH": bindir + ":" + os.environ.get("PATH", "")}
    r, out = resolve_json(["-x", "tmplrt", "main"], env=env, cwd="/")
    pp.check(r.returncode == 0 and out and out[0]["name"] == "main",
             f"resolve -x NAME looks NAME up on PATH: rc {r.returncode}, {r.stderr}")
    r = pp.phaseprof(["resolve", "-x", "no-such-runtime-here", "main"])
    pp.check(r.returncode == 127 and "not on PATH" in r.stderr,
             f"a name not on PATH: exit 127 and says so: {r.returncode} {r.stderr}")


def test_templates(exe):
    r, out = resolve_json(["-x", exe, "ns::*Compile*"])
    names = sorted(o["name"] for o in out or [])
    pp.check(r.returncode == 0 and names == ["ns::Compiler::Run(int)"],
             f"'ns::*Compile*' matches the function named so, not Decoder<ns::Compile>: {names}")
    r, out = resolve_json(["-x", exe, "ns::Decoder::Decode"])
    pp.check(r.returncode == 0 and len(out or []) == 2,
             f"'ns::Decoder::Decode' matches both instantiations: {out}")
    r, out = resolve_json(["-x", exe, "ns::Decoder<*Compile*>::Decode"])
    names = [o["name"] for o in out or []]
    pp.check(r.returncode == 0 and len(names) == 1 and "ns::Compile>" in names[0],
             f"a glob with '<' matches inside template arguments: {names}")


def test_header(exe):
    r = pp.phaseprof(["resolve", "-x", exe, "main"])
    lines = r.stdout.splitlines()
    pp.check(r.returncode == 0 and len(lines) == 2, f"header and one line: {lines}")
    pp.check(lines and lines[0].split()[:3] == ["vaddr", "offset", "size"],
             f"the first line names the columns: {lines[:1]}")


def test_source_files(tmp):
    plain = build(tmp, "units", "gcc", [UNIT_A, UNIT_B], [])
    lto = build(tmp, "units_lto", "gcc", [UNIT_A, UNIT_B], ["-flto"])
    r, out = resolve_json(["-x", plain, "helper_a"])
    src = out[0]["source_file"] if out else None
    pp.check(src == "units0.c", f"a static function shows its own file: {src}")
    r, out = resolve_json(["-x", lto, "helper_*"])
    srcs = [o["source_file"] for o in out or []]
    pp.check(len(srcs) == 2 and srcs == [None, None],
             f"LTO: no file rather than the crt file before the unit: {srcs}")
    r = pp.phaseprof(["resolve", "-x", lto, "helper_a"])
    pp.check("crt" not in r.stdout and "[" not in r.stdout.splitlines()[-1],
             f"LTO: plain output shows no [file]: {r.stdout}")
    # clang's LTO names the merged unit "ld-temp.o": an object, no source file
    clang = shutil.which("clang")
    exe = os.path.join(tmp, "units_clang_lto")
    if clang and pp.run([clang, "-O2", "-flto", "-fuse-ld=lld", "-o", exe] +
                        [os.path.join(tmp, f"units{i}.c") for i in (0, 1)]).returncode == 0:
        r, out = resolve_json(["-x", exe, "helper_*"])
        srcs = [o["source_file"] for o in out or []]
        pp.check(len(srcs) == 2 and srcs == [None, None],
                 f"clang LTO: no 'ld-temp.o' or crt file as a source: {srcs}")
    else:
        print("note: clang -flto with lld unavailable; clang's LTO naming not checked")


def main():
    if not os.path.exists(pp.PHASEPROF):
        pp.skip(f"no phaseprof binary at {pp.PHASEPROF}")
    pp.need_program("g++")
    pp.need_program("gcc")
    tmp = pp.tmpdir()
    exe = build(tmp, "tmpl", "g++", [TEMPLATES], [])
    test_path_lookup(tmp, exe)
    test_templates(exe)
    test_header(exe)
    test_source_files(tmp)
    pp.done()


main()
