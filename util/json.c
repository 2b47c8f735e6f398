// SPDX-License-Identifier: MIT
/* json.c: the JSON writer, see json.h */
#include <inttypes.h>
#include <math.h>
#include "json.h"

void json_init(struct json *j, FILE *f, bool pretty)
{
	j->f = f;
	j->depth = 0;
	j->pretty = pretty;
	j->has_items[0] = false;
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Length of the UTF-8 sequence at s (max n bytes), or 0 when it is not valid. */
static int utf8_len(const unsigned char *s, size_t n)
{
	int len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (s[0] >= 0xf5 || (size_t)len > n)
		return 0;
	for (int i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static void write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0;

	while (s[n])
		n++;
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		int len;

		if (s[i] == '"' || s[i] == '\\') {
			fputc('\\', f);
			fputc(s[i], f);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(f, "\\u%04x", s[i]);
		} else if (s[i] < 0x80) {
			fputc(s[i], f);
		} else if ((len = utf8_len(s + i, n - i))) {
			fwrite(s + i, 1, len, f);
			i += len - 1;
		} else {
			fprintf(f, "\\u%04x", s[i]);
		}
	}
	fputc('"', f);
}

static void item(struct json *j, const char *key)
{
	if (j->has_items[j->depth])
		fputc(',', j->f);
	j->has_items[j->depth] = true;
	if (j->depth)
		indent(j);
	if (key) {
		write_string(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void open_nested(struct json *j, const char *key, char c)
{
	item(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->has_items[j->depth] = false;
}

static void close_nested(struct json *j, char c)
{
	bool had = j->has_items[j->depth];

	if (j->depth)
		j->depth--;
	if (had)
		indent(j);
	fputc(c, j->f);
}

void json_begin_object(struct json *j, const char *key) { open_nested(j, key, '{'); }
void json_end_object(struct json *j) { close_nested(j, '}'); }
void json_begin_array(struct json *j, const char *key) { open_nested(j, key, '['); }
void json_end_array(struct json *j) { close_nested(j, ']'); }

void json_string(struct json *j, const char *key, const char *val)
{
	item(j, key);
	if (val)
		write_string(j->f, val);
	else
		fputs("null", j->f);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	item(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void json_i64(struct json *j, const char *key, int64_t val)
{
	item(j, key);
	fprintf(j->f, "%" PRId64, val);
}

void json_double(struct json *j, const char *key, double val)
{
	item(j, key);
	if (isfinite(val))
		fprintf(j->f, "%.6g", val);
	else
		fputs("null", j->f);
}

void json_null(struct json *j, const char *key)
{
	item(j, key);
	fputs("null", j->f);
}

void json_bool(struct json *j, const char *key, bool val)
{
	item(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_hex(struct json *j, const char *key, uint64_t val)
{
	item(j, key);
	fprintf(j->f, "\"0x%" PRIx64 "\"", val);
}

void json_ns_as_us(struct json *j, const char *key, uint64_t ns)
{
	item(j, key);
	fprintf(j->f, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
}
