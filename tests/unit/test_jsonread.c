// SPDX-License-Identifier: MIT
/*
 * test_jsonread.c: the JSON reader: what json.c writes reads back, every
 * escape, numbers, errors with their offsets, the depth limit, and random
 * bytes (no crash, no leak under valgrind).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "jsonread.h"
#include "check.h"

static char err[256];

static struct jr_node *parse(const char *s)
{
	return jr_parse(s, strlen(s), err, sizeof(err));
}

static void test_roundtrip(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jr_node *n;
	struct json j;

	json_init(&j, f, true);
	json_begin_object(&j, NULL);
	json_string(&j, "name", "a\"b\\c\n\x01\xc3\xa9");
	json_u64(&j, "wall_ns", 18446744073709551615ull);
	json_i64(&j, "exit", -3);
	json_double(&j, "ms", 1.5);
	json_bool(&j, "ok", true);
	json_string(&j, "none", NULL);
	json_begin_array(&j, "phases");
	json_begin_object(&j, NULL);
	json_string(&j, "name", "load");
	json_u64(&j, "wall_ns", 42);
	json_end_object(&j);
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
	fclose(f);
	n = jr_parse(buf, len, err, sizeof(err));
	CHECK(n);
	CHECK_STR(err, "");
	CHECK_STR(jr_str(jr_get(n, "name")), "a\"b\\c\n\x01\xc3\xa9");
	CHECK(jr_num(jr_get(n, "wall_ns"), 0) > 1.8e19);
	CHECK(jr_num(jr_get(n, "exit"), 0) == -3);
	CHECK(jr_num(jr_get(n, "ms"), 0) == 1.5);
	CHECK(jr_get(n, "ok") && jr_get(n, "ok")->b);
	CHECK(jr_get(n, "none") && jr_get(n, "none")->type == JR_NULL);
	CHECK(jr_get(n, "phases") && jr_get(n, "phases")->n == 1);
	CHECK_STR(jr_str(jr_get(jr_at(jr_get(n, "phases"), 0), "name")), "load");
	CHECK(!jr_at(jr_get(n, "phases"), 1));
	CHECK(!jr_get(n, "missing") && jr_num(NULL, 7) == 7 && !jr_str(NULL));
	jr_free(n);
	free(buf);
}

static void test_escapes(void)
{
	struct jr_node *n = parse("[\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\r\\t\", \"\\udc00\", false, 0, -0.5e2]");

	CHECK(n && n->n == 5);
	CHECK_STR(jr_str(jr_at(n, 0)), "\xc3\xa9\xf0\x9f\x98\x80/\b\f\r\t");
	CHECK_STR(jr_str(jr_at(n, 1)), "\xef\xbf\xbd");
	CHECK(jr_at(n, 2)->type == JR_BOOL && !jr_at(n, 2)->b);
	CHECK(jr_num(jr_at(n, 4), 0) == -50);
	jr_free(n);
	n = parse(" {} ");
	CHECK(n && n->type == JR_OBJECT && n->n == 0);
	jr_free(n);
}

static const struct {
	const char *text, *msg;
} bad[] = {
	{ "", "offset 0: unexpected end of input" },
	{ "[1,]", "offset 3: unexpected character ']'" },
	{ "[1 2]", "offset 3: expected ',' or ']'" },
	{ "{\"a\" 1}", "offset 5: expected ':'" },
	{ "{1:2}", "offset 1: expected a member name" },
	{ "\"abc", "offset 0: unterminated string" },
	{ "\"a\\qb\"", "offset 3: bad escape" },
	{ "\"\\u12\"", "offset 2: bad escape" },
	{ "\"a\tb\"", "offset 2: control character 0x09" },
	{ "-", "offset 0: bad number" },
	{ "1.2.3", "offset 0: bad number" },
	{ "tru", "offset 0: unexpected character 't'" },
	{ "{} x", "offset 3: trailing characters" },
};

static void test_errors(void)
{
	char deep[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jr_node *n = parse(bad[i].text);

		CHECK(!n);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fprintf(stderr, "bad %zu: got \"%s\", expected \"%s\"\n", i, err, bad[i].msg);
		CHECK(!strncmp(err, bad[i].msg, strlen(bad[i].msg)));
		jr_free(n);
	}
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CHECK(!jr_parse(deep, 200, err, sizeof(err)));
	CHECK(strstr(err, "nested deeper than 64"));
	CHECK(!jr_parse(deep, 0, NULL, 0));
}

static void test_random(void)
{
	static const char alphabet[] = "{}[]\",:0123456789-.eEtrufalsn \\u";
	char buf[64];
	unsigned seed = 1;

	for (int k = 0; k < 20000; k++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));

		for (size_t i = 0; i < len; i++)
			buf[i] = rand_r(&seed) % 8 ? alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)] :
						     (char)rand_r(&seed);
		jr_free(jr_parse(buf, len, err, sizeof(err)));
	}
	CHECK(1);
}

int main(void)
{
	test_roundtrip();
	test_escapes();
	test_errors();
	test_random();
	return checks_report("test_jsonread");
}
