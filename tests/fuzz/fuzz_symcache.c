// SPDX-License-Identifier: MIT
/*
 * fuzz_symcache.c: libFuzzer over the symbol cache's entries (syms__decode),
 * which root reads from /var/cache/phaseprof/syms. The input is an entry for
 * the key its own header names. When it decodes, every name lies within it,
 * lookups stay within the table, and it encodes back to an entry that
 * decodes to the same table.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "syms.h"

static void read_table(const struct syms *s, const uint8_t *data, size_t size)
{
	size_t total = 0;

	for (size_t i = 0; i < syms__count(s); i++) {
		const struct sym *x = syms__at(s, i);

		total += strlen(x->name) + (x->source_file ? strlen(x->source_file) : 0);
		total += strlen(syms__short_name(s, x));
	}
	/* addresses taken from the input: every 8 bytes */
	for (size_t i = 0; i + 8 <= size && i < 4096; i += 8) {
		uint64_t a, off;
		const struct sym *x;

		memcpy(&a, data + i, 8);
		x = syms__find(s, a, &off);
		if (x && (off > a || strlen(x->name) > size))
			abort();
	}
	if (total > (size_t)1 << 40)
		abort();
}

static void same_again(const struct syms *s, uint64_t key)
{
	char *buf;
	size_t len;
	struct syms *t;

	if (syms__encode(s, key, &buf, &len))
		return;
	t = syms__decode("/fuzz/entry", key, buf, len);
	if (!t || syms__count(t) != syms__count(s))
		abort();
	for (size_t i = 0; i < syms__count(s); i++)
		if (strcmp(syms__at(s, i)->name, syms__at(t, i)->name) ||
		    syms__at(s, i)->vaddr != syms__at(t, i)->vaddr)
			abort();
	syms__free(t);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t key = 0;
	struct syms *s;

	if (size >= 16)
		memcpy(&key, data + 8, sizeof(key)); /* the header's own */
	s = syms__decode("/fuzz/entry", key, (const char *)data, size);
	if (!s)
		return 0;
	read_table(s, data, size);
	same_again(s, key);
	syms__free(s);
	return 0;
}
