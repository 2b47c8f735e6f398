// SPDX-License-Identifier: MIT
/* log.c: stderr diagnostics, see log.h */
#include <stdio.h>
#include "log.h"

int log_verbosity;

static void vsay(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "phaseprof: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

void pr_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("note: ", fmt, ap);
	va_end(ap);
}

void pr_debug_domain(const char *domain, const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 1)
		return;
	fprintf(stderr, "phaseprof[%s]: ", domain);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
