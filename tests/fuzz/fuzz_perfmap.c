// SPDX-License-Identifier: MIT
/*
 * fuzz_perfmap.c: libFuzzer over the perf-map parser (/tmp/perf-PID.map, which
 * a JIT writes and phaseprof reads): the very parser the symbolizer uses, then
 * the symbolizer's lookups of JIT frames in what it parsed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "symbolize.h"

struct seen {
	const char *buf;
	size_t len, n;
	uint64_t addr[4];
};

static int on_entry(void *ctx, uint64_t start, uint64_t size, const char *name, size_t namelen)
{
	struct seen *s = ctx;

	/* the name lies in the buffer, within one line, and has no NUL */
	if (!namelen || name < s->buf || name + namelen > s->buf + s->len ||
	    memchr(name, '\n', namelen) || memchr(name, '\0', namelen))
		abort();
	if (s->n < 4)
		s->addr[s->n] = start + size / 2;
	s->n++;
	return 0;
}

static int stop(void *ctx, uint64_t start, uint64_t size, const char *name, size_t namelen)
{
	return -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	struct seen s = { .buf = buf, .len = size };
	struct symbolizer *z = symbolizer__new(NULL);
	uint64_t probe[8] = { 0, 1, UINT64_MAX, 0x7f0000001000 };
	char name[256];
	ssize_t n;

	if (!buf || !z)
		abort();
	memcpy(buf, data, size);
	n = symbolizer__parse_perfmap(buf, size, on_entry, &s);
	if (n < 0 || (size_t)n != s.n)
		abort();
	n = symbolizer__parse_perfmap(buf, size, stop, NULL);
	if (n != (s.n ? -ENOMEM : 0))
		abort();
	if (symbolizer__set_perfmap(z, 42, buf, size))
		abort();
	memcpy(probe + 4, s.addr, sizeof(s.addr));
	for (size_t i = 0; i < 8; i++) {
		enum frame_kind k = symbolizer__user(z, NULL, 42, probe[i], name, sizeof(name));

		if ((k != FRAME_JIT && k != FRAME_UNKNOWN) || !memchr(name, '\0', sizeof(name)))
			abort();
	}
	/* set twice: the first map is replaced, not leaked */
	symbolizer__set_perfmap(z, 42, buf, size / 2);
	symbolizer__free(z);
	free(buf);
	return 0;
}
