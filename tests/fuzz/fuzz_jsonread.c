// SPDX-License-Identifier: MIT
/*
 * fuzz_jsonread.c: libFuzzer over the JSON reader (jsonread.c), which reads
 * the phases.json files `compare` and `diff` are given. Every node of a parsed
 * tree is walked, as the readers walk it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "jsonread.h"

static size_t walk(const struct jr_node *n, int depth)
{
	size_t count = 0, i = 0;

	if (depth > JR_MAX_DEPTH + 1)
		abort(); /* the parser promised a bound */
	for (const struct jr_node *c = n->child; c; c = c->next, i++) {
		if ((n->type == JR_ARRAY && jr_at(n, i) != c) || (n->type == JR_OBJECT && !c->key))
			abort();
		if (c->key && !jr_get(n, c->key))
			abort();
		count += 1 + walk(c, depth + 1);
	}
	if (i != n->n || (n->type == JR_STRING && !jr_str(n)))
		abort();
	jr_num(n, 0);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jr_node *root;
	char err[256];

	root = jr_parse((const char *)data, size, err, sizeof(err));
	if (!root) {
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	walk(root, 0);
	jr_free(root);
	return 0;
}
