/* SPDX-License-Identifier: MIT */
/*
 * tracefs.h: finding tracefs, and mounting it when a fresh machine has not
 * (the cause of perf's "unknown tracepoint" errors there).
 */
#ifndef PHASEPROF_TRACEFS_H
#define PHASEPROF_TRACEFS_H

#include <stddef.h>

/* Fill dir with a mounted tracefs, mounting it at /sys/kernel/tracing if needed
 * ($PHASEPROF_TRACEFS, when set, is the only place looked at and mounted on).
 * 0, or -errno with why filled for the user. */
int tracefs_ensure(char *dir, size_t len, char *why, size_t whylen);

#endif /* PHASEPROF_TRACEFS_H */
