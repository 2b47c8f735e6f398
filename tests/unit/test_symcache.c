// SPDX-License-Identifier: MIT
/*
 * test_symcache.c: the symbol cache's entries (syms__encode/decode, used by
 * symcache.c). A table read back from its entry is the table read from the
 * file, symbol for symbol, and names the same addresses; an entry of another
 * file, a cut entry or a changed byte never gives a table that reads outside
 * the entry. On this test binary and, if present, /usr/bin/node.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "syms.h"

static bool same_sym(const struct sym *a, const struct sym *b)
{
	return a->vaddr == b->vaddr && a->size == b->size && a->file_offset == b->file_offset &&
	       !strcmp(a->name, b->name) && a->is_local == b->is_local &&
	       (a->source_file ? b->source_file && !strcmp(a->source_file, b->source_file) :
				 !b->source_file);
}

static void same_table(const struct syms *a, const struct syms *b)
{
	size_t bad = 0, step;

	CHECK_INT(syms__count(b), syms__count(a));
	CHECK_INT(syms__entry(b), syms__entry(a));
	CHECK(!syms__build_id(a) || (syms__build_id(b) && !strcmp(syms__build_id(a), syms__build_id(b))));
	for (size_t i = 0; i < syms__count(a) && i < syms__count(b); i++)
		bad += !same_sym(syms__at(a, i), syms__at(b, i));
	CHECK_INT(bad, 0);
	step = syms__count(a) / 500 + 1;
	for (size_t i = 0; i < syms__count(a); i += step) {
		const struct sym *x = syms__at(a, i), *fa, *fb;
		uint64_t oa, ob;

		fa = syms__find(a, x->vaddr + x->size / 2, &oa);
		fb = syms__find(b, x->vaddr + x->size / 2, &ob);
		CHECK(fa == fb || (fa && fb && !strcmp(fa->name, fb->name) && oa == ob));
		if (fa && fb)
			CHECK_STR(syms__short_name(b, fb), syms__short_name(a, fa));
	}
}

/* Whatever decodes from a damaged entry reads within it (ASan watches); a sample. */
static void read_all(const struct syms *s)
{
	size_t total = 0, step = syms__count(s) / 2000 + 1;

	for (size_t i = 0; i < syms__count(s); i += step) {
		const struct sym *x = syms__at(s, i);

		total += strlen(x->name) + (x->source_file ? strlen(x->source_file) : 0);
	}
	CHECK(total >= syms__count(s) / step);
}

static void damaged(const char *path, const char *buf, size_t len)
{
	char *copy = malloc(len);
	size_t step = len / 997 + 1, taken = 0;
	unsigned seed = 7;

	if (!copy)
		return;
	for (size_t cut = 0; cut < len; cut += step) {
		struct syms *d = syms__decode(path, 42, buf, cut);

		taken += d != NULL;
		syms__free(d);
	}
	CHECK_INT(taken, 0); /* every cut entry is refused */
	/* a big table's entry takes a while to copy: fewer changed bytes there */
	for (int i = 0; i < (len > (1 << 20) ? 40 : 300); i++) {
		struct syms *d;

		memcpy(copy, buf, len);
		seed = seed * 1103515245 + 12345;
		copy[(seed >> 8) % len] ^= (char)(1 + (seed >> 24) % 255);
		d = syms__decode(path, 42, copy, len);
		if (d)
			read_all(d);
		syms__free(d);
	}
	free(copy);
}

static void round_trip(const char *path)
{
	struct syms *s = syms__load(path, NULL, NULL, 0), *d;
	size_t len = 0;
	char *buf = NULL;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(syms__cacheable(s));
	CHECK_INT(syms__encode(s, 42, &buf, &len), 0);
	d = buf ? syms__decode(path, 42, buf, len) : NULL;
	CHECK(d != NULL);
	if (d)
		same_table(s, d);
	CHECK(buf && !syms__decode(path, 43, buf, len)); /* another file's entry */
	if (buf)
		damaged(path, buf, len);
	syms__free(d);
	syms__free(s);
	free(buf);
}

int main(void)
{
	/* tables read from the files themselves: the cache off */
	setenv("PHASEPROF_SYMS_CACHE_DIR", "", 1);
	round_trip("/proc/self/exe");
	if (!access("/usr/bin/node", R_OK))
		round_trip("/usr/bin/node");
	return checks_report("symcache");
}
