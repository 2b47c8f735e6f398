/* SPDX-License-Identifier: MIT */
/*
 * json.h: the one JSON writer. Streams to a FILE; keys are NULL inside
 * arrays. Strings are escaped byte by byte (every byte below 0x20, quote and
 * backslash); bytes that are not UTF-8 are written as \u00XX so the output
 * always parses.
 */
#ifndef PHASEPROF_JSON_H
#define PHASEPROF_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	int depth;
	bool pretty;
	bool has_items[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_string(struct json *j, const char *key, const char *val); /* NULL -> null */
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
void json_hex(struct json *j, const char *key, uint64_t val); /* "0x1a2b" */
/* nanoseconds as microseconds with three decimals, exact: 1234567 -> 1234.567 */
void json_ns_as_us(struct json *j, const char *key, uint64_t ns);
/* finish the document with a newline */
void json_finish(struct json *j);

#endif /* PHASEPROF_JSON_H */
