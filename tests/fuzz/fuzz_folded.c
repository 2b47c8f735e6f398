// SPDX-License-Identifier: MIT
/*
 * fuzz_folded.c: libFuzzer over the folded-stack reader (flamegraph/fold.c)
 * and the SVG writer behind it. The input's first byte picks plain or
 * two-count (diff) lines; the rest is the folded text, rendered to /dev/null.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg_internal.h"

static FILE *devnull;

static void feed(struct fg_tree *t, const char *p, size_t len, enum fg_slot slot)
{
	const char *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (!nl)
			nl = end;
		if (fg_tree_add_line(t, p, nl - p, slot) < 0)
			return;
		p = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flame_opts opts;
	struct fg_tree t;
	struct fg_out o;
	bool diff;

	if (!size)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	diff = data[0] & 1;
	flame_opts_init(&opts);
	opts.reverse = data[0] & 2;
	opts.inverted = data[0] & 4;
	opts.hash = data[0] & 8;
	if (fg_tree_init(&t, diff))
		return 0;
	t.reverse = opts.reverse;
	feed(&t, (const char *)data + 1, size - 1, diff ? FG_SLOT_AB : FG_SLOT_A);
	if (!fg_out_init(&o, devnull)) {
		if (diff && (data[0] & 16))
			fg_write_diff_folded(&t, &o, true);
		else
			fg_render_svg(&t, &o, &opts, diff);
		fg_out_finish(&o);
	}
	fg_tree_free(&t);
	return 0;
}
