// SPDX-License-Identifier: MIT
/*
 * fuzz_kallsyms.c: libFuzzer over the kernel symbol cache (kallsyms.c), whose
 * entries root reads from /var/cache/phaseprof/kallsyms. An input starting
 * with "ppksyms" is an entry: decoded, and when taken, every name it gives
 * must lie in its strings and only covered addresses are named. Any other
 * input is kallsyms text, then after a line "--" a module list: what is
 * encoded from them must decode, and name what the whole table names.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kallsyms.h"

static void probe(const struct kallsyms *k, uint64_t addr)
{
	const char *name = kallsyms__find(k, addr);

	if (name && strlen(name) > (64u << 20))
		abort();
}

static void fuzz_entry(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct kallsyms *k;

	if (!buf)
		return;
	memcpy(buf, data, size);
	k = kallsyms__decode(buf, size);
	if (!k)
		return;
	/* addresses taken from the input: every 8 bytes */
	for (size_t i = 0; i + 8 <= size; i += 8) {
		uint64_t a;

		memcpy(&a, data + i, 8);
		probe(k, a);
		probe(k, a - 1);
	}
	kallsyms__free(k);
}

/* the cache names as /proc/kallsyms does, or not at all */
static void same_name(const struct kallsyms *cached, const struct kallsyms *full, uint64_t a)
{
	const char *c = kallsyms__find(cached, a), *f = kallsyms__find(full, a);

	if (c && (!f || strcmp(c, f)))
		abort();
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	const char *sep = memmem(data, size, "\n--\n", 4);
	size_t tlen = sep ? (size_t)(sep - (const char *)data) + 1 : size;
	const char *mods = sep ? sep + 4 : "";
	size_t mlen = sep ? size - tlen - 3 : 0;
	char *text = malloc(tlen + 1), *buf = NULL;
	struct kallsyms *full, *cached;
	size_t len;

	if (!text)
		return;
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	full = kallsyms__parse(text, tlen);
	if (!full || kallsyms__encode(full, mods, mlen, &buf, &len)) {
		kallsyms__free(full);
		return;
	}
	cached = kallsyms__decode(buf, len);
	if (!cached)
		abort(); /* what we write, we read */
	/* each line's address, and its neighbours */
	for (size_t off = 0; off < tlen;) {
		const uint8_t *nl = memchr(data + off, '\n', tlen - off);
		char hex[17] = { 0 };
		uint64_t a;

		memcpy(hex, data + off, tlen - off < 16 ? tlen - off : 16);
		a = strtoull(hex, NULL, 16);
		same_name(cached, full, a - 1);
		same_name(cached, full, a);
		same_name(cached, full, a + 1);
		off = nl ? (size_t)(nl - data) + 1 : tlen;
	}
	kallsyms__free(cached);
	kallsyms__free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 7 && !memcmp(data, "ppksyms", 7))
		fuzz_entry(data, size);
	else
		fuzz_text(data, size);
	return 0;
}
