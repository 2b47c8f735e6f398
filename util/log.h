/* SPDX-License-Identifier: MIT */
/*
 * log.h: diagnostics. Every message goes to stderr as "phaseprof: ...",
 * lowercase, no final period: what failed, why, then what to do (git style).
 * pr_debug() shows only with -v, and names its subsystem so -v output can be
 * read by area.
 */
#ifndef PHASEPROF_LOG_H
#define PHASEPROF_LOG_H

#include <stdarg.h>

extern int log_verbosity; /* 0 quiet, 1 -v, 2 -vv */

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug_domain(const char *domain, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifndef PR_DOMAIN
#define PR_DOMAIN "phaseprof"
#endif
#define pr_debug(...) pr_debug_domain(PR_DOMAIN, __VA_ARGS__)

#endif /* PHASEPROF_LOG_H */
