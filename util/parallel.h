/* SPDX-License-Identifier: MIT */
/*
 * parallel.h: blocking calls made at once, a thread each. Closing a uprobe
 * or tracepoint link waits for the kernel's grace periods (40 to 130 ms
 * here); closed together, the waits overlap.
 */
#ifndef PHASEPROF_PARALLEL_H
#define PHASEPROF_PARALLEL_H

#include <stddef.h>

/* fn(args[i]) for every i at once; where a thread cannot start, here. Returns when all did. */
void parallel_each(void *(*fn)(void *), void **args, size_t n);
/* close(fds[i]) for every i at once. */
void close_at_once(const int *fds, size_t n);

#endif /* PHASEPROF_PARALLEL_H */
