"""test_resolve_corrupt.py: hostile ELF input never crashes or hangs resolve.

`phaseprof resolve` runs on truncated and corrupted copies of real ELF files
(the test runtime with its .symtab, a shared library, a stripped executable):
truncated at fixed offsets (inside the ELF header, after it, after the program
headers, inside the section headers, inside .symtab and .dynsym) and with bytes
flipped at fixed seeds; then on a zero-length file, a directory and a FIFO.
Every run must end with a documented exit status (0 when what is left still has
the symbol, 64, 66, 125 or 126) and, on failure, one "phaseprof: ..." line on
stderr; a truncated file must be called truncated or corrupt, not stripped.
A status below 0 (a signal) or of 128 and above is a crash."""

import os
import random
import shutil
import struct
import sys
import subprocess

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

OK_CODES = {0, 64, 66, 125, 126}
FLIP_SEEDS = range(1, 101)
TIMEOUT = 30


def sources():
    """(label, path, spec, status): real ELF files, a function to look up, the status intact."""
    out = []
    if os.path.exists(pp.PHASETEST):
        out.append(("phasetest", pp.PHASETEST, "main", 0))
    for lib, spec in (("/usr/lib/x86_64-linux-gnu/libz.so.1", "inflate"),
                      ("/lib/x86_64-linux-gnu/libz.so.1", "inflate")):
        if os.path.exists(lib):
            out.append(("libz", os.path.realpath(lib), spec, 0))
            break
    true = shutil.which("true")
    if true:
        out.append(("true", os.path.realpath(true), "main", 66))  # stripped: no functions
    return out


def layout(data):
    """Offsets worth cutting at, from the ELF64 little-endian headers of data."""
    cuts = {"empty": 0, "ident": 16, "ehdr-1": 63, "ehdr": 64, "last-byte": len(data) - 1}
    if data[4] != 2 or data[5] != 1:  # not ELFCLASS64 / ELFDATA2LSB: the fixed cuts only
        return cuts
    phoff, shoff = struct.unpack_from("<QQ", data, 32)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", data, 54)
    if phoff:
        cuts["headers-only"] = phoff + phentsize * phnum
    if shoff and shnum:
        cuts["mid-section-headers"] = shoff + shentsize * (shnum // 2) + 7
        cuts["section-headers-1"] = shoff + shentsize * shnum - 1
        for i in range(shnum):
            off = shoff + i * shentsize
            if off + shentsize > len(data):
                break
            sh_type, = struct.unpack_from("<I", data, off + 4)
            sh_offset, sh_size = struct.unpack_from("<QQ", data, off + 24)
            name = {2: "symtab", 11: "dynsym", 3: None}.get(sh_type)
            if name and sh_size and f"mid-{name}" not in cuts:
                cuts[f"mid-{name}"] = sh_offset + sh_size // 2
    return {k: v for k, v in cuts.items() if 0 <= v < len(data)}


def flips(data, seed):
    """data with bytes overwritten at fixed seeds: anywhere, in the headers, in the section headers."""
    rnd = random.Random(seed)
    b = bytearray(data)
    shoff, = struct.unpack_from("<Q", data, 40) if len(data) >= 64 else (0,)
    regions = [(0, len(b)), (0, min(64, len(b)))]
    if 0 < shoff < len(b):
        regions.append((shoff, len(b)))
    lo, hi = regions[seed % len(regions)]
    for _ in range(rnd.choice((1, 4, 16, 64))):
        b[rnd.randrange(lo, hi)] = rnd.randrange(256)
    return bytes(b)


def resolve(path, spec, what):
    """Run resolve on path; check it ends well. Returns (returncode, stderr) or None."""
    try:
        r = pp.phaseprof(["resolve", "-x", path, spec], timeout=TIMEOUT, errors="replace")
    except subprocess.TimeoutExpired:
        pp.check(False, f"{what}: resolve hung for {TIMEOUT}s")
        return None
    pp.check(0 <= r.returncode < 128, f"{what}: resolve crashed (status {r.returncode}): "
             f"{r.stderr.strip()[-300:]}")
    pp.check(r.returncode in OK_CODES, f"{what}: undocumented exit status {r.returncode}")
    if r.returncode:
        pp.check(r.stderr.startswith("phaseprof: "),
                 f"{what}: exit {r.returncode} without a 'phaseprof: ...' message: {r.stderr!r}")
    return r.returncode, r.stderr


def main():
    srcs = sources()
    if not srcs:
        pp.skip("no ELF file to corrupt (build phasetest)")
    tmp = pp.tmpdir()
    try:
        for label, path, spec, status in srcs:
            with open(path, "rb") as f:
                data = f.read()
            r = resolve(path, spec, f"{label} intact")
            pp.check(r and r[0] == status, f"{label} intact: status {r} is not {status}")
            for cut, off in sorted(layout(data).items(), key=lambda kv: kv[1]):
                what = f"{label} truncated at {off} ({cut})"
                copy = os.path.join(tmp, f"{label}.{cut}")
                with open(copy, "wb") as f:
                    f.write(data[:off])
                r = resolve(copy, spec, what)
                if not r:
                    continue
                code, err = r
                if off == 0:
                    pp.check(code == 126 and "not an ELF file" in err, f"{what}: {code} {err!r}")
                elif code not in (0, 66):
                    # 66 is fine when what is left parses but lacks the symbol
                    pp.check(code == 126 and "truncated or corrupt" in err,
                             f"{what}: not called truncated: {code} {err!r}")
                pp.check("stripped" not in err, f"{what}: called stripped: {err!r}")
            for seed in FLIP_SEEDS:
                copy = os.path.join(tmp, f"{label}.flip{seed}")
                with open(copy, "wb") as f:
                    f.write(flips(data, seed))
                resolve(copy, spec, f"{label} with bytes flipped (seed {seed})")
                resolve(copy, "*", f"{label} with bytes flipped (seed {seed}), glob *")

        empty = os.path.join(tmp, "empty")
        open(empty, "wb").close()
        r = resolve(empty, "main", "zero-length file")
        pp.check(r and r[0] == 126 and "not an ELF file" in r[1], f"zero-length file: {r}")
        r = resolve(tmp, "main", "a directory")
        pp.check(r and r[0] == 126 and "directory" in r[1], f"a directory: {r}")
        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)
        r = resolve(fifo, "main", "a FIFO")
        pp.check(r and r[0] == 126, f"a FIFO: {r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    pp.done()


if __name__ == "__main__":
    main()
