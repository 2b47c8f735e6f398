// SPDX-License-Identifier: MIT
/*
 * quiet_log.c: log.c for the fuzzers. Messages are formatted (so the
 * sanitizers see every format and argument) and dropped: a hostile input
 * warns on every run, and stderr is libFuzzer's.
 */
#include <stdio.h>
#include <stdlib.h>
#include "log.h"

int log_verbosity = 1; /* format pr_debug() messages too */

/* Fuzzed ELF files never reach root's symbol cache (symcache.h) */
__attribute__((constructor)) static void no_symbol_cache(void)
{
	setenv("PHASEPROF_SYMS_CACHE_DIR", "", 1);
}

static void drop(const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
}

#define QUIET(fn)                                \
	void fn(const char *fmt, ...)            \
	{                                        \
		va_list ap;                      \
		va_start(ap, fmt);               \
		drop(fmt, ap);                   \
		va_end(ap);                      \
	}

QUIET(pr_err)
QUIET(pr_warn)
QUIET(pr_note)

void pr_debug_domain(const char *domain, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	drop(fmt, ap);
	va_end(ap);
}
