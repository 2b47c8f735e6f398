/* SPDX-License-Identifier: MIT */
/*
 * check.h: the unit tests' few assertions. A failed check prints where and
 * what, and the test goes on; main() returns non-zero if any check failed.
 */
#ifndef PHASEPROF_CHECK_H
#define PHASEPROF_CHECK_H

#include <stdio.h>
#include <string.h>

static int checks_failed, checks_run;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		checks_run++;                                                          \
		if (!(cond)) {                                                         \
			checks_failed++;                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                \
		}                                                                      \
	} while (0)

#define CHECK_STR(a, b)                                                                \
	do {                                                                           \
		const char *a_ = (a), *b_ = (b);                                       \
		checks_run++;                                                          \
		if (!a_ || !b_ || strcmp(a_, b_)) {                                    \
			checks_failed++;                                               \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, \
				__LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		}                                                                      \
	} while (0)

#define CHECK_INT(a, b)                                                                \
	do {                                                                           \
		long long a_ = (long long)(a), b_ = (long long)(b);                    \
		checks_run++;                                                          \
		if (a_ != b_) {                                                        \
			checks_failed++;                                               \
			fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__,  \
				__LINE__, #a, a_, b_);                                 \
		}                                                                      \
	} while (0)

static inline int checks_report(const char *suite)
{
	printf("%s: %d checks, %d failed\n", suite, checks_run, checks_failed);
	return checks_failed ? 1 : 0;
}

#endif /* PHASEPROF_CHECK_H */
