#!/bin/sh
# make_seeds.sh CC SRCDIR OUTDIR: the fuzzers' seed corpora, built (not kept in git):
# small ELF files of every kind syms__load meets (executable with .symtab, stripped,
# shared object, relocatable 64- and 32-bit, compressed debug sections, MiniDebugInfo),
# a few perf maps, perf records for mmaps.c, probe files, folded stacks, JSON,
# plan-cache entries and kernel-symbol cache entries (and the kallsyms text they come from).
set -eu
cc=$1 src=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/syms" "$out/perfmap" "$out/mmaps"
e=$out/syms

"$cc" -O2 -o "$e/exe" "$src/seeds/tiny.c"
"$cc" -O2 -s -o "$e/exe-stripped" "$src/seeds/tiny.c"
"$cc" -O2 -fPIC -shared -nostdlib -o "$e/lib.so" "$src/seeds/tiny.c"
"$cc" -O2 -c -o "$e/obj.o" "$src/seeds/tiny.c"
"$cc" -O2 -m32 -ffreestanding -c -o "$e/obj32.o" "$src/seeds/tiny.c" 2>/dev/null || true
"$cc" -O1 -g -gz -o "$e/exe-zdebug" "$src/seeds/tiny.c" 2>/dev/null ||
	"$cc" -O1 -g -o "$e/exe-zdebug" "$src/seeds/tiny.c"
# MiniDebugInfo: the .symtab of a stripped file, xz-compressed in .gnu_debugdata
if command -v xz >/dev/null && command -v objcopy >/dev/null; then
	objcopy --only-keep-debug --strip-debug "$e/exe" "$tmp/mini"
	xz -q "$tmp/mini"
	objcopy --add-section .gnu_debugdata="$tmp/mini.xz" "$e/exe-stripped" "$e/exe-minidebuginfo"
fi
# big seeds make slow mutations: drop what is not needed to parse
for f in "$e"/*; do
	[ "$(wc -c <"$f")" -le 32768 ] || rm -f "$f"
done

cp "$src"/seeds/perfmap/* "$out/perfmap/"
# probe files: the shipped profiles and the tests' own
mkdir -p "$out/profile" "$out/folded" "$out/jsonread" "$out/plancache" "$out/kallsyms" \
	"$out/symcache"
cp "$src"/../../probes/*.probe "$src"/../probes/*.probe "$out/profile/"
cp "$src"/seeds/folded/* "$out/folded/"
cp "$src"/seeds/jsonread/* "$out/jsonread/"
cp "$src"/seeds/plancache/* "$out/plancache/"
cp "$src"/seeds/kallsyms/* "$out/kallsyms/"

# a kernel-symbol cache entry as kallsyms.c writes it: header, ranges, symbols, strings
python3 - "$out/kallsyms/entry" <<'PY'
import struct, sys

ranges = [(0xffffffff81000000, 0xffffffff81000400), (0xffffffffc0001000, 0xffffffffc0001200),
          (0xffffffffc0004000, 0xffffffffc0004080)]
syms = [(0xffffffff81000000, b"_stext"), (0xffffffff81000000, b"startup_64"),
        (0xffffffff81000100, b"do_thing"), (0xffffffff81000300, b"weak_fn"),
        (0xffffffffc0001000, b"a_first"), (0xffffffffc0001100, b"a_second"),
        (0xffffffffc0004000, b"b_first")]
strs, table = b"", b""
for start, name in syms:
    table += struct.pack("<QII", start, len(strs), 0)
    strs += name + b"\0"
out = struct.pack("<8sIIIIQ", b"ppksyms", 1, len(ranges), len(syms), len(strs), 0)
out += b"".join(struct.pack("<QQ", a, b) for a, b in ranges) + table + strs
open(sys.argv[1], "wb").write(out)
PY

# perf records, as the kernel writes them: MMAP2, FORK, COMM (exec), LOST, an unknown type
python3 - "$out/mmaps/records" <<'PY'
import struct, sys

def rec(type, misc, body):
    body += b"\0" * (-len(body) % 8)
    return struct.pack("<IHH", type, misc, 8 + len(body)) + body

def mmap2(pid, addr, length, pgoff, prot, name):
    return rec(10, 0, struct.pack("<IIQQQIIQQII", pid, pid, addr, length, pgoff, 8, 1,
                                  1234, 0, prot, 2) + name + b"\0")

out = b"".join([
    mmap2(100, 0x400000, 0x1000, 0, 5, b"/usr/bin/wasmtime"),
    mmap2(100, 0x7f0000000000, 0x20000, 0x1000, 5, b"/usr/lib/x86_64-linux-gnu/libc.so.6"),
    mmap2(100, 0x7f1000000000, 0x1000, 0, 3, b"//anon"),
    rec(7, 0, struct.pack("<IIIIQ", 101, 100, 101, 100, 0)),      # FORK
    rec(3, 0x2000, struct.pack("<II", 101, 101) + b"node\0"),      # COMM, exec
    mmap2(101, 0x400000, 0x2000, 0, 5, b"/usr/bin/node"),
    rec(2, 0, struct.pack("<QQ", 1, 5)),                           # LOST
    rec(99, 0, b"unknown"),
])
open(sys.argv[1], "wb").write(out)
PY

# a symbol cache entry as syms.c writes it: header, segments, symbols, names, build-id
python3 - "$out/symcache/entry" <<'PY'
import struct, sys

names = b"main\0_ZN2v88internal4wasm11CompileLazyEv\0helper\0file.c\0"
off = {n: names.index(n + b"\0") for n in (b"main", b"helper", b"file.c")}
off[b"lazy"] = names.index(b"_ZN")
segs = [(0x1000, 0x3000, 0x1000, 1), (0x4000, 0x1000, 0x4000, 0)]
syms = [(0x1100, 0x40, 0x1100, off[b"main"], 0, 4),
        (0x1200, 0x80, 0x1200, off[b"lazy"], 0, 4),
        (0x1300, 0x10, 0x1300, off[b"helper"], off[b"file.c"], 1)]
build_id = b"0123456789abcdef"
head = b"ppsyms1\0" + struct.pack("<6Q", 0x5eed, 0x1100, len(syms), len(segs), len(names),
                                   len(build_id))
body = b"".join(struct.pack("<4Q", *g) for g in segs)
body += b"".join(struct.pack("<3Q4I", *y, 0) for y in syms)
with open(sys.argv[1], "wb") as f:
    f.write(head + body + names + build_id)
PY
