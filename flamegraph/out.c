// SPDX-License-Identifier: MIT
/*
 * out.c: the SVG writer's buffer (written in big chunks, first error kept)
 * and XML escaping. Frame names are bytes from any program: XML 1.0 cannot
 * hold control characters or invalid UTF-8, so those become U+FFFD.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fg_internal.h"

#define OUT_BUF (1u << 20)

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

int fg_out_init(struct fg_out *o, FILE *f)
{
	o->f = f;
	o->len = 0;
	o->err = 0;
	o->cap = OUT_BUF;
	o->buf = malloc(o->cap);
	return o->buf ? 0 : -ENOMEM;
}

void fg_out_flush(struct fg_out *o)
{
	if (o->len && !o->err && fwrite(o->buf, 1, o->len, o->f) != o->len)
		o->err = errno ? -errno : -EIO;
	o->len = 0;
}

int fg_out_finish(struct fg_out *o)
{
	fg_out_flush(o);
	if (!o->err && fflush(o->f))
		o->err = errno ? -errno : -EIO;
	free(o->buf);
	o->buf = NULL;
	return o->err;
}

void fg_out_write(struct fg_out *o, const char *s, size_t len)
{
	while (len) {
		size_t n = o->cap - o->len;

		if (!n) {
			fg_out_flush(o);
			continue;
		}
		if (n > len)
			n = len;
		memcpy(o->buf + o->len, s, n);
		o->len += n;
		s += n;
		len -= n;
	}
}

void fg_out_puts(struct fg_out *o, const char *s)
{
	fg_out_write(o, s, strlen(s));
}

void fg_out_printf(struct fg_out *o, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		fg_out_write(o, small, n);
		return;
	}
	big = malloc(n + 1);
	if (!big) {
		o->err = -ENOMEM;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, n + 1, fmt, ap);
	va_end(ap);
	fg_out_write(o, big, n);
	free(big);
}

void fg_out_u64(struct fg_out *o, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	fg_out_write(o, tmp + i, sizeof(tmp) - i);
}

/* length of the valid UTF-8 sequence at s, 0 if invalid */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

size_t fg_utf8_chars(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0, n;

	while (i < len) {
		n = utf8_seq(p + i, len - i);
		i += n ? n : 1;
		chars++;
	}
	return chars;
}

/* escape one character at s; returns the bytes it took */
static size_t escape_char(struct fg_out *o, const unsigned char *s, size_t len)
{
	size_t n = utf8_seq(s, len);

	if (!n) {
		fg_out_write(o, replacement, 3);
		return 1;
	}
	if (n > 1) {
		fg_out_write(o, (const char *)s, n);
		return n;
	}
	switch (s[0]) {
	case '&': fg_out_write(o, "&amp;", 5); break;
	case '<': fg_out_write(o, "&lt;", 4); break;
	case '>': fg_out_write(o, "&gt;", 4); break;
	case '"': fg_out_write(o, "&quot;", 6); break;
	case '\'': fg_out_write(o, "&apos;", 6); break;
	default:
		if (s[0] < 0x20 || s[0] == 0x7f)
			fg_out_write(o, replacement, 3);
		else
			fg_out_write(o, (const char *)s, 1);
	}
	return 1;
}

static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '&' && c != '<' && c != '>' && c != '"' &&
	       c != '\'';
}

void fg_out_escape(struct fg_out *o, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;

	while (i < len) {
		for (run = i; run < len && plain(p[run]); run++)
			;
		if (run > i) {
			fg_out_write(o, s + i, run - i);
			i = run;
			continue;
		}
		i += escape_char(o, p + i, len - i);
	}
}

void fg_out_escape_fit(struct fg_out *o, const char *s, size_t len, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0, n;

	if (fg_utf8_chars(s, len) <= max_chars) {
		fg_out_escape(o, s, len);
		return;
	}
	if (max_chars < 3)
		return;
	while (i < len && chars < max_chars - 2) {
		n = utf8_seq(p + i, len - i);
		n = n ? n : 1;
		i += n;
		chars++;
	}
	fg_out_escape(o, s, i);
	fg_out_write(o, "..", 2);
}
