"""test_resolve_nm.py: property test of the symbol engine against nm(1).

For a fixed sample of ELF executables and shared libraries (every k-th of the
sorted list under /usr/bin and /usr/lib/x86_64-linux-gnu, plus /usr/bin/node),
every defined function nm lists with a size (types T t W i; .symtab and
.dynsym) must resolve by its exact symbol-table name to its address, and that
address must name back a symbol at the same address (aliases allowed)."""

import glob
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

NFILES = 150
PER_FILE = 1500  # names checked per file (a fixed random sample), keeps it under 2 minutes


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def sample_files():
    cands = []
    for pattern in ("/usr/bin/*", "/usr/lib/x86_64-linux-gnu/*.so*"):
        for p in sorted(glob.glob(pattern)):
            if os.path.isfile(p) and not os.path.islink(p) and is_elf(p):
                cands.append(p)
    step = max(1, len(cands) // NFILES)
    files = cands[::step][:NFILES]
    if os.path.exists("/usr/bin/node") and "/usr/bin/node" not in files:
        files.append("/usr/bin/node")
    return files


def readelf_funcs(path):
    """Names readelf calls FUNC or IFUNC (nm's T/t also covers TLS and NOTYPE in .text)."""
    names = set()
    r = pp.run(["readelf", "-sW", "--dyn-syms", path])
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[3] in ("FUNC", "IFUNC"):
            names.add(parts[7].split("@")[0])
    return names


def nm_functions(path):
    """{name: set(addresses)} of the sized, defined functions nm lists."""
    funcs = {}
    typed = readelf_funcs(path)
    for extra in ([], ["-D"]):
        r = pp.run(["nm", "-S", "--defined-only"] + extra + [path])
        if r.returncode:
            continue
        for line in r.stdout.splitlines():
            parts = line.split()
            if len(parts) != 4 or parts[2] not in ("T", "t", "W", "i"):
                continue
            addr, size, name = int(parts[0], 16), int(parts[1], 16), parts[3]
            name = name.split("@")[0]
            if not size or not name or ".cold" in name or name not in typed:
                continue
            funcs.setdefault(name, set()).add(addr)
    return funcs


def resolve(path, inputs, tmp):
    listfile = os.path.join(tmp, "inputs")
    with open(listfile, "w") as f:
        f.write("\n".join(inputs) + "\n")
    r = pp.phaseprof(["resolve", "-x", path, "--json", "--inputs-from", listfile])
    try:
        return json.loads(r.stdout), r
    except ValueError:
        return None, r


def check_file(path, tmp, rng, stats):
    funcs = nm_functions(path)
    if not funcs:
        return
    names = sorted(n for n in funcs if "\n" not in n)
    if len(names) > PER_FILE:
        names = rng.sample(names, PER_FILE)
    out, r = resolve(path, names, tmp)
    if not pp.check(out is not None, f"{path}: --json output parses (exit {r.returncode}, {r.stderr[:300]})"):
        return
    found = {}
    for o in out:
        if o.get("name") is not None:
            found.setdefault(o["input"], set()).add(int(o["vaddr"], 16))
    missing = [n for n in names if not funcs[n] <= found.get(n, set())]
    stats["names"] += len(names)
    stats["missing"] += len(missing)
    pp.check(not missing, f"{path}: {len(missing)} of {len(names)} not found at nm's address, "
             f"e.g. {missing[:3]} nm {[hex(a) for a in funcs[missing[0]]] if missing else ''} "
             f"ours {[hex(a) for a in found.get(missing[0], ())] if missing else ''}")
    addrs = sorted({a for n in names for a in funcs[n]})
    out, r = resolve(path, [hex(a) for a in addrs], tmp)
    if not pp.check(out is not None, f"{path}: address --json output parses"):
        return
    back = [o for o in out if o.get("name") is None or o.get("offset") != 0]
    stats["addrs"] += len(addrs)
    pp.check(not back, f"{path}: {len(back)} of {len(addrs)} addresses do not name a symbol "
             f"starting there, e.g. {back[:2]}")


def main():
    if not os.path.exists(pp.PHASEPROF):
        pp.skip(f"no phaseprof binary at {pp.PHASEPROF}")
    pp.need_program("nm")
    rng = random.Random(42)
    tmp = pp.tmpdir()
    stats = {"names": 0, "missing": 0, "addrs": 0}
    files = sample_files()
    t0 = time.time()
    for path in files:
        check_file(path, tmp, rng, stats)
    print(f"{len(files)} files, {stats['names']} names ({stats['missing']} missing), "
          f"{stats['addrs']} addresses named back, {time.time() - t0:.1f} s")
    pp.done()


main()
