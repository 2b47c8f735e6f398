"""test_resolve_clones.py: GCC clones. A fixture built with gcc -O2 gets
foo.cold, bar.part.0, baz.isra.0 and qux.constprop.0; each base name resolves to
its clone(s), and a .cold fragment is never returned."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pp  # noqa: E402

SOURCE = r'''#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct big { int a, b, c, d; char name[64]; };
int sink;

void __attribute__((cold, noinline)) oops(const char *what, int n)
{
	fprintf(stderr, "%s %d\n", what, n);
}

/* slow path kept out of line: gcc emits foo.cold for the unlikely branch */
int __attribute__((noinline)) foo(struct big *p, int n, int mode)
{
	if (__builtin_expect(p == NULL || n < 0, 0)) {
		oops("bad args", n);
		fprintf(stderr, "bad args %d %d\n", n, mode);
		fprintf(stderr, "really bad %s\n", p ? p->name : "?");
		sink += n * mode;
		return -1;
	}
	int s = 0;
	for (int i = 0; i < n; i++)
		s += p->a * mode + i;
	return s;
}

/* early exit + big body: partial inlining makes bar.part.0 */
static int bar(const char *s)
{
	if (!s)
		return 0;
	int h = 0;
	for (int i = 0; s[i]; i++) {
		h = h * 31 + s[i];
		if (h % 7 == 3)
			h ^= (int)strlen(s + i);
		if (h % 11 == 5)
			h += sink;
		if (h % 13 == 1)
			printf("%d\n", h);
	}
	sink += h;
	return h;
}

/* only a field is used: IPA-SRA makes baz.isra.0 */
static int __attribute__((noinline)) baz(struct big *p)
{
	int r = 0;
	for (int i = 0; i < p->b; i++)
		r += i * i;
	return r;
}

/* always called with the same constant: qux.constprop.0 */
static int __attribute__((noinline)) qux(int x, int k)
{
	int r = 0;
	for (int i = 0; i < x; i++)
		r += (i * k) ^ (r >> 3);
	return r;
}

int main(int argc, char **argv)
{
	struct big b = { argc, argc + 1, 0, 0, "x" };

	sink += foo(&b, argc * 3, argc);
	sink += foo(&b, argc * 5, 2);
	sink += bar(argv[0]) + bar(argc > 5 ? NULL : argv[0]) + bar(getenv("HOME"));
	sink += baz(&b) + baz(&b);
	sink += qux(argc, 7) + qux(argc + 1, 7) + qux(argc + 2, 7);
	return sink & 1;
}
'''


def nm_names(path):
    r = pp.run(["nm", path])
    return {line.split()[2]: int(line.split()[0], 16) for line in r.stdout.splitlines()
            if len(line.split()) == 3}


def resolve(exe, spec):
    r = pp.phaseprof(["resolve", "-x", exe, "--json", spec])
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, None


def main():
    if not os.path.exists(pp.PHASEPROF):
        pp.skip(f"no phaseprof binary at {pp.PHASEPROF}")
    pp.need_program("gcc")
    tmp = pp.tmpdir()
    src = os.path.join(tmp, "clones.c")
    exe = os.path.join(tmp, "clones")
    with open(src, "w") as f:
        f.write(SOURCE)
    r = pp.run(["gcc", "-O2", "-g", "-o", exe, src])
    if r.returncode:
        pp.skip(f"gcc failed: {r.stderr[:300]}")
    names = nm_names(exe)
    want = {"foo": "foo", "bar": "bar.part.0", "baz": "baz.isra.0", "qux": "qux.constprop.0"}
    for base, clone in want.items():
        if clone not in names:
            pp.skip(f"this gcc did not make {clone} (nm: {sorted(names)[:20]})")
    if "foo.cold" not in names:
        pp.skip("this gcc did not make foo.cold")
    for base, clone in want.items():
        rc, out = resolve(exe, base)
        if not pp.check(rc == 0 and out, f"resolve {base}: exit {rc}, {out}"):
            continue
        got = {o["symbol"] for o in out}
        pp.check(clone in got, f"resolve {base} returns {clone}: {got}")
        pp.check(not any(".cold" in g for g in got), f"resolve {base} returns no .cold: {got}")
        pp.check(all(int(o["vaddr"], 16) == names[o["symbol"]] for o in out),
                 f"resolve {base}: addresses as nm: {out}")
    rc, out = resolve(exe, "foo.cold")
    pp.check(rc == 66 and out and out[0]["name"] is None, f"foo.cold is never returned: {rc} {out}")
    rc, out = resolve(exe, "f*")
    pp.check(rc == 0 and out and {o["symbol"] for o in out} >= {"foo"} and
             not any(".cold" in o["symbol"] for o in out), f"glob f* has foo, no .cold: {out}")
    rc, out = resolve(exe, "bar.part.0")
    pp.check(rc == 0 and out and out[0]["symbol"] == "bar.part.0", f"exact clone name: {out}")
    cold = names["foo.cold"]
    rc, out = resolve(exe, hex(cold))
    pp.check(rc == 0 and out and out[0]["symbol"] == "foo.cold",
             f"the .cold address still names foo.cold for stack frames: {out}")
    pp.done()


main()
