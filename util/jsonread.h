/* SPDX-License-Identifier: MIT */
/*
 * jsonread.h: a small, bounded JSON reader for the documents phaseprof itself
 * writes (phases.json, read back by `phaseprof compare`). It parses a whole
 * buffer into a tree; depth and size are limited, every error is a message
 * with the byte offset, never a crash.
 */
#ifndef PHASEPROF_JSONREAD_H
#define PHASEPROF_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>

#define JR_MAX_DEPTH 64
#define JR_MAX_BYTES (64u << 20)

enum jr_type { JR_NULL, JR_BOOL, JR_NUMBER, JR_STRING, JR_ARRAY, JR_OBJECT };

struct jr_node {
	enum jr_type type;
	char *key;              /* member name inside an object, else NULL */
	char *str;              /* JR_STRING: UTF-8, NUL-terminated (may hold \u0000 as NUL) */
	double num;             /* JR_NUMBER */
	bool b;                 /* JR_BOOL */
	struct jr_node *child;  /* JR_ARRAY, JR_OBJECT: first element or member */
	struct jr_node *next;   /* next sibling */
	size_t n;               /* JR_ARRAY, JR_OBJECT: element count */
};

/* Parse text[0..len). NULL with err ("offset N: why") on failure or -ENOMEM. */
struct jr_node *jr_parse(const char *text, size_t len, char *err, size_t errlen);
/* Read and parse a file; NULL with err set. */
struct jr_node *jr_parse_file(const char *path, char *err, size_t errlen);
void jr_free(struct jr_node *n);

/* The member key of an object, or NULL (also when n is NULL or not an object). */
const struct jr_node *jr_get(const struct jr_node *n, const char *key);
/* The i-th element of an array, or NULL. */
const struct jr_node *jr_at(const struct jr_node *n, size_t i);
/* A number, or dflt when n is NULL or not a number. */
double jr_num(const struct jr_node *n, double dflt);
/* A string, or NULL when n is NULL or not a string. */
const char *jr_str(const struct jr_node *n);

#endif /* PHASEPROF_JSONREAD_H */
