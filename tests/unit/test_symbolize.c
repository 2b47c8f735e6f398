// SPDX-License-Identifier: MIT
/* test_symbolize.c: the perf-map parser (/tmp/perf-PID.map lines "START SIZE NAME")
 * and JIT frames named through it. */
#include <string.h>
#include "check.h"
#include "symbolize.h"

struct got {
	uint64_t start[8], size[8];
	char name[8][64];
	size_t n;
};

static int collect(void *ctx, uint64_t start, uint64_t size, const char *name, size_t len)
{
	struct got *g = ctx;

	if (g->n < 8) {
		g->start[g->n] = start;
		g->size[g->n] = size;
		snprintf(g->name[g->n], sizeof(g->name[0]), "%.*s", (int)len, name);
	}
	g->n++;
	return 0;
}

static struct got parse(const char *buf, size_t len)
{
	struct got g = { 0 };

	CHECK_INT(symbolizer__parse_perfmap(buf, len, collect, &g), g.n);
	return g;
}

#define PARSE(lit) parse(lit, sizeof(lit) - 1)

static void test_perfmap(void)
{
	static const char nul[] = "10 4 a\0b\n20 4 c";
	struct got g;

	g = PARSE("7f1c2a401000 40 LazyCompile:*fib /app/fib.js:3\n");
	CHECK_INT(g.n, 1);
	CHECK_INT(g.start[0], 0x7f1c2a401000);
	CHECK_INT(g.size[0], 0x40);
	CHECK_STR(g.name[0], "LazyCompile:*fib /app/fib.js:3");
	/* no final newline, CRLF, tabs, 0x, one too many digits, missing fields, empty name */
	g = PARSE("1 2 last");
	CHECK(g.n == 1 && !strcmp(g.name[0], "last"));
	g = PARSE("1 2 crlf\r\n0x10\t0X20\ttabs\n");
	CHECK(g.n == 2 && !strcmp(g.name[0], "crlf") && g.start[1] == 0x10 && g.size[1] == 0x20);
	g = PARSE("ffffffffffffffff 1 max\n1ffffffffffffffff 1 over\n1 ffffffffffffffff1 over\n");
	CHECK(g.n == 1 && g.start[0] == UINT64_MAX);
	g = PARSE("\n1\n1 \n1 2\n1 2 \nzz 2 x\n1 zz x\n 1 2 lead\n");
	CHECK(g.n == 1 && !strcmp(g.name[0], "lead"));
	/* a NUL ends a name, not the buffer */
	g = parse(nul, sizeof(nul) - 1);
	CHECK(g.n == 2 && !strcmp(g.name[0], "a") && !strcmp(g.name[1], "c"));
}

static void test_jit_frames(void)
{
	struct symbolizer *z = symbolizer__new(NULL);
	const char map[] = "1000 100 wasm[0]::function[1]\n2000 10 trampoline\n";
	char name[64];

	CHECK_INT(symbolizer__set_perfmap(z, 7, map, sizeof(map) - 1), 0);
	CHECK_INT(symbolizer__user(z, NULL, 7, 0x10ff, name, sizeof(name)), FRAME_JIT);
	CHECK_STR(name, "wasm[0]::function[1]");
	CHECK_INT(symbolizer__user(z, NULL, 7, 0x1100, name, sizeof(name)), FRAME_UNKNOWN);
	CHECK_INT(symbolizer__user(z, NULL, 7, 0x2000, name, sizeof(name)), FRAME_JIT);
	CHECK_STR(name, "trampoline");
	/* set again: replaced */
	CHECK_INT(symbolizer__set_perfmap(z, 7, "", 0), 0);
	CHECK_INT(symbolizer__user(z, NULL, 7, 0x2000, name, sizeof(name)), FRAME_UNKNOWN);
	symbolizer__free(z);
}

int main(void)
{
	test_perfmap();
	test_jit_frames();
	return checks_report("test_symbolize");
}
