"""test_resolve_demangle.py: our demangling equals c++filt's.

C++ names come from libstdc++ (or node), Rust legacy names from a tiny Rust
program built here; we compare modulo the Rust hashes we drop on purpose
(legacy ::h<16 hex>). Rust v0: the same program built with
-C symbol-mangling-version=v0 resolves by demangled path."""

import json
import os
import random
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

RUST = r'''
pub struct Engine { n: u64 }

impl Engine {
    #[inline(never)]
    pub fn compile(&self, x: u64) -> u64 { compile_module(x ^ self.n) }
}

#[inline(never)]
pub fn compile_module(x: u64) -> u64 { x.wrapping_mul(31).rotate_left(5) }

#[inline(never)]
pub fn instantiate<T: Into<u64>>(v: T) -> u64 { v.into() + 1 }

fn main() {
    let e = Engine { n: std::env::args().count() as u64 };
    let a = e.compile(3) + instantiate(5u32) + instantiate(6u8);
    println!("{}", a);
}
'''

HASH = re.compile(r"::h[0-9a-f]{16}$")
# c++filt demangles verbosely (DMGL_VERBOSE): it spells out Itanium's std
# abbreviations, which we print short, as gdb and perf do
VERBOSE = [
    ("std::basic_ostream<char, std::char_traits<char> >", "std::ostream"),
    ("std::basic_istream<char, std::char_traits<char> >", "std::istream"),
    ("std::basic_iostream<char, std::char_traits<char> >", "std::iostream"),
    ("std::basic_string<char, std::char_traits<char>, std::allocator<char> >", "std::string"),
]


def normalize(name):
    name = HASH.sub("", name)
    for long, short in VERBOSE:
        name = name.replace(long, short)
    return name
NSAMPLE = 4000


def cxxfilt(names):
    r = pp.run(["c++filt"], input="\n".join(names) + "\n")
    return r.stdout.splitlines()


def resolve_names(exe, names, tmp):
    path = os.path.join(tmp, "specs")
    with open(path, "w") as f:
        f.write("\n".join(names) + "\n")
    r = pp.phaseprof(["resolve", "-x", exe, "--json", "--inputs-from", path])
    out = json.loads(r.stdout) if r.stdout.strip() else []
    got = {}
    for o in out:
        if o.get("name") and o.get("symbol") == o["input"]:
            got[o["input"]] = o["name"]
    return got


def compare(exe, names, tmp, what):
    got = resolve_names(exe, names, tmp)
    want = dict(zip(names, cxxfilt(names)))
    bad = [(n, got.get(n), normalize(want[n])) for n in names
           if normalize(got.get(n) or "") != normalize(want[n])]
    pp.check(not bad, f"{what}: {len(bad)} of {len(names)} differ from c++filt, e.g. {bad[:3]}")
    return len(names) - len(bad)


def mangled_funcs(exe, prefix):
    r = pp.run(["nm", "--defined-only", exe])
    return sorted({l.split()[2] for l in r.stdout.splitlines()
                   if len(l.split()) == 3 and l.split()[1] in "TtWi" and
                   l.split()[2].startswith(prefix)})


def test_cxx(tmp):
    for exe in ("/usr/bin/node", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"):
        if os.path.exists(exe):
            break
    else:
        return
    names = [n for n in mangled_funcs(exe, "_Z") if ".cold" not in n]
    names = random.Random(7).sample(names, min(NSAMPLE, len(names)))
    n = compare(exe, names, tmp, f"C++ names of {exe}")
    print(f"C++: {n} of {len(names)} names of {exe} as c++filt")


def build_rust(tmp, extra):
    src = os.path.join(tmp, "tiny.rs")
    with open(src, "w") as f:
        f.write(RUST)
    exe = os.path.join(tmp, "tiny" + ("_v0" if extra else ""))
    r = pp.run(["rustc", "-C", "opt-level=0", "-o", exe, src] + extra)
    if r.returncode and extra:
        env = dict(os.environ, RUSTC_BOOTSTRAP="1")
        r = pp.run(["rustc", "-C", "opt-level=0", "-Z", "unstable-options", "-o", exe, src]
                   + ["-Z", "symbol-mangling-version=v0"], env=env)
    return exe if r.returncode == 0 else None


def test_rust(tmp):
    if not shutil.which("rustc"):
        print("no rustc: Rust checks skipped")
        return
    exe = build_rust(tmp, [])
    if pp.check(exe, "rustc builds the legacy-mangled fixture"):
        names = mangled_funcs(exe, "_ZN")
        compare(exe, names, tmp, "Rust legacy names")
        r = pp.phaseprof(["resolve", "-x", exe, "--json", "tiny::compile_module",
                          "tiny::Engine::compile", "tiny::instantiate"])
        out = json.loads(r.stdout) if r.stdout.strip() else []
        per = {}
        for o in out:
            per.setdefault(o["input"], []).append(o["name"])
        pp.check(per.get("tiny::compile_module") == ["tiny::compile_module"], f"legacy: {per}")
        pp.check(per.get("tiny::Engine::compile") == ["tiny::Engine::compile"], f"legacy: {per}")
        pp.check(len(per.get("tiny::instantiate", [])) == 2,
                 f"legacy: both generic copies of instantiate: {per}")
    exe = build_rust(tmp, ["-C", "symbol-mangling-version=v0"])
    if pp.check(exe, "rustc builds the v0-mangled fixture"):
        pp.check(mangled_funcs(exe, "_R"), "the v0 fixture has _R symbols")
        r = pp.phaseprof(["resolve", "-x", exe, "--json", "tiny::compile_module",
                          "<tiny::Engine>::compile", "tiny::instantiate::<*>"])
        out = json.loads(r.stdout) if r.stdout.strip() else []
        per = {}
        for o in out:
            per.setdefault(o["input"], []).append(o["name"])
        pp.check(per.get("tiny::compile_module") == ["tiny::compile_module"], f"v0: {per}")
        pp.check(per.get("<tiny::Engine>::compile") == ["<tiny::Engine>::compile"], f"v0: {per}")
        pp.check(len(per.get("tiny::instantiate::<*>", [])) == 2,
                 f"v0: both generic copies of instantiate: {per}")
        pp.check(not any("[" in (n or "") for v in per.values() for n in v),
                 f"v0: crate disambiguators dropped: {per}")


def main():
    if not os.path.exists(pp.PHASEPROF):
        pp.skip(f"no phaseprof binary at {pp.PHASEPROF}")
    pp.need_program("c++filt")
    pp.need_program("nm")
    tmp = pp.tmpdir()
    test_cxx(tmp)
    test_rust(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    pp.done()


main()
