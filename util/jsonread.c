// SPDX-License-Identifier: MIT
/* jsonread.c: a small, bounded JSON reader, see jsonread.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "jsonread.h"
#include "fileread.h"

struct reader {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static struct jr_node *fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->err || !r->errlen || r->err[0])
		return NULL;
	n = snprintf(r->err, r->errlen, "offset %zu: ", r->pos);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - n, fmt, ap);
	va_end(ap);
	return NULL;
}

static void skip_ws(struct reader *r)
{
	while (r->pos < r->len && strchr(" \t\r\n", r->s[r->pos]) && r->s[r->pos])
		r->pos++;
}

static struct jr_node *new_node(struct reader *r, enum jr_type t)
{
	struct jr_node *n = calloc(1, sizeof(*n));

	if (!n) {
		r->oom = true;
		return fail(r, "out of memory");
	}
	n->type = t;
	return n;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at r->pos (the opening quote); the result is malloc'd. Escapes never grow text. */
static char *read_string(struct reader *r)
{
	size_t start = ++r->pos, o = 0;
	char *out;

	while (r->pos < r->len && r->s[r->pos] != '"')
		r->pos += r->s[r->pos] == '\\' ? 2 : 1;
	if (r->pos >= r->len) {
		r->pos = start - 1;
		fail(r, "unterminated string");
		return NULL;
	}
	out = malloc(r->pos - start + 1);
	if (!out) {
		r->oom = true;
		fail(r, "out of memory");
		return NULL;
	}
	for (size_t i = start; i < r->pos; i++) {
		unsigned char c = (unsigned char)r->s[i];
		int cp, lo;

		if (c < 0x20) {
			r->pos = i;
			free(out);
			fail(r, "control character 0x%02x in a string", c);
			return NULL;
		}
		if (c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		c = (unsigned char)r->s[++i];
		switch (c) {
		case '"': case '\\': case '/': out[o++] = (char)c; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			cp = i + 4 < r->pos ? hex4(r->s + i + 1) : -1;
			if (cp < 0)
				goto bad;
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < r->pos && r->s[i + 1] == '\\' &&
			    r->s[i + 2] == 'u' && (lo = hex4(r->s + i + 3)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd; /* a lone surrogate */
			}
			o += put_utf8(out + o, (uint32_t)cp);
			break;
		default:
		bad:
			r->pos = i;
			free(out);
			fail(r, "bad escape in a string");
			return NULL;
		}
	}
	out[o] = '\0';
	r->pos++;
	return out;
}

static struct jr_node *parse_value(struct reader *r, int depth);

static struct jr_node *parse_number(struct reader *r)
{
	size_t start = r->pos;
	char buf[64], *end;
	struct jr_node *n;

	if (r->s[r->pos] == '-')
		r->pos++;
	while (r->pos < r->len && strchr("0123456789.eE+-", r->s[r->pos]) && r->s[r->pos])
		r->pos++;
	if (r->pos - start == 0 || r->pos - start >= sizeof(buf)) {
		r->pos = start;
		return fail(r, "bad number");
	}
	memcpy(buf, r->s + start, r->pos - start);
	buf[r->pos - start] = '\0';
	n = new_node(r, JR_NUMBER);
	if (!n)
		return NULL;
	n->num = strtod(buf, &end);
	if (*end || !((buf[0] >= '0' && buf[0] <= '9') || (buf[0] == '-' && buf[1] >= '0' &&
							      buf[1] <= '9'))) {
		free(n);
		r->pos = start;
		return fail(r, "bad number");
	}
	return n;
}

static bool literal(struct reader *r, const char *word)
{
	size_t l = strlen(word);

	if (r->len - r->pos < l || memcmp(r->s + r->pos, word, l))
		return false;
	r->pos += l;
	return true;
}

/* Elements of an array or members of an object, after the opening bracket. */
static struct jr_node *parse_container(struct reader *r, int depth, bool object)
{
	struct jr_node *c = new_node(r, object ? JR_OBJECT : JR_ARRAY), **tail;
	char close = object ? '}' : ']';

	if (!c)
		return NULL;
	tail = &c->child;
	r->pos++;
	skip_ws(r);
	if (r->pos < r->len && r->s[r->pos] == close) {
		r->pos++;
		return c;
	}
	for (;;) {
		char *key = NULL;
		struct jr_node *v;

		skip_ws(r);
		if (object) {
			if (r->pos >= r->len || r->s[r->pos] != '"')
				goto bad;
			key = read_string(r);
			if (!key)
				goto fail;
			skip_ws(r);
			if (r->pos >= r->len || r->s[r->pos] != ':') {
				free(key);
				fail(r, "expected ':' after a member name");
				goto fail;
			}
			r->pos++;
		}
		v = parse_value(r, depth + 1);
		if (!v) {
			free(key);
			goto fail;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		c->n++;
		skip_ws(r);
		if (r->pos < r->len && r->s[r->pos] == ',') {
			r->pos++;
			continue;
		}
		if (r->pos < r->len && r->s[r->pos] == close) {
			r->pos++;
			return c;
		}
		goto bad;
	}
bad:
	fail(r, object ? "expected a member name, ',' or '}'" : "expected ',' or ']'");
fail:
	jr_free(c);
	return NULL;
}

static struct jr_node *parse_value(struct reader *r, int depth)
{
	struct jr_node *n;
	char c;

	if (depth > JR_MAX_DEPTH)
		return fail(r, "nested deeper than %d", JR_MAX_DEPTH);
	skip_ws(r);
	if (r->pos >= r->len)
		return fail(r, "unexpected end of input");
	c = r->s[r->pos];
	if (c == '{' || c == '[')
		return parse_container(r, depth, c == '{');
	if (c == '"') {
		char *s = read_string(r);

		if (!s)
			return NULL;
		n = new_node(r, JR_STRING);
		if (!n)
			free(s);
		else
			n->str = s;
		return n;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(r);
	if (literal(r, "true") || literal(r, "false")) {
		n = new_node(r, JR_BOOL);
		if (n)
			n->b = r->s[r->pos - 1] == 'e' && r->s[r->pos - 2] == 'u';
		return n;
	}
	if (literal(r, "null"))
		return new_node(r, JR_NULL);
	return fail(r, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
}

struct jr_node *jr_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct reader r = { .s = text, .len = len, .err = err, .errlen = errlen };
	struct jr_node *n;

	if (err && errlen)
		err[0] = '\0';
	if (!text || len > JR_MAX_BYTES) {
		fail(&r, "input larger than %u MiB", JR_MAX_BYTES >> 20);
		return NULL;
	}
	n = parse_value(&r, 0);
	if (!n)
		return NULL;
	skip_ws(&r);
	if (r.pos != r.len) {
		jr_free(n);
		return fail(&r, "trailing characters after the document");
	}
	return n;
}

struct jr_node *jr_parse_file(const char *path, char *err, size_t errlen)
{
	struct jr_node *n;
	char *buf = NULL;
	size_t len = 0;
	int ret = read_whole_file(path, 0, JR_MAX_BYTES, &buf, &len);

	if (ret) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
			 ret == -EFBIG ? "too large" : strerror(-ret));
		return NULL;
	}
	n = jr_parse(buf, len, err, errlen);
	free(buf);
	return n;
}

void jr_free(struct jr_node *n)
{
	while (n) {
		struct jr_node *next = n->next;

		jr_free(n->child);
		free(n->key);
		free(n->str);
		free(n);
		n = next;
	}
}

const struct jr_node *jr_get(const struct jr_node *n, const char *key)
{
	if (!n || n->type != JR_OBJECT)
		return NULL;
	for (const struct jr_node *c = n->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

const struct jr_node *jr_at(const struct jr_node *n, size_t i)
{
	const struct jr_node *c;

	if (!n || n->type != JR_ARRAY)
		return NULL;
	for (c = n->child; c && i; c = c->next, i--)
		;
	return c;
}

double jr_num(const struct jr_node *n, double dflt)
{
	return n && n->type == JR_NUMBER ? n->num : dflt;
}

const char *jr_str(const struct jr_node *n)
{
	return n && n->type == JR_STRING ? n->str : NULL;
}
