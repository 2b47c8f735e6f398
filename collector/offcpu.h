/* SPDX-License-Identifier: MIT */
/*
 * offcpu.h: --off-cpu, the time the runtime's threads spent blocked. The
 * kernel half adds up each blocked stretch by the stack and phase it began
 * in, and by the thread that woke it with that thread's phase; this folds
 * the first into DIR/offcpu.folded (microseconds) and the second into
 * "waiting for thread T (in phase P)" per phase, for the table and
 * phases.json. A thread preempted while runnable is not blocked.
 */
#ifndef PHASEPROF_OFFCPU_H
#define PHASEPROF_OFFCPU_H

#include <stdint.h>
#include <stdio.h>
#include "phases.h"
#include "stacks.h"

struct json;

struct offcpu_wait {
	uint32_t tid;	 /* the thread that blocked */
	uint32_t waker;	 /* the tracked thread that woke it, 0 for none */
	int phase;	 /* the blocked thread's phase when it blocked */
	int waker_phase; /* the waker's phase when it woke it */
	uint64_t ns, count;
};

struct offcpu_report {
	uint64_t blocked_ns[PP_PHASE_COUNT];
	struct offcpu_wait *waits; /* longest first */
	size_t n;
	uint64_t lost;		    /* stretches with no room in the kernel's tables */
	struct stack_result stacks; /* counts in microseconds */
};

/*
 * Fold the kernel's tables: base names frames and tells teardown as for
 * stack samples (its samples_fd is replaced by stacks_fd). 0 or -errno.
 */
int offcpu__collect(const struct stack_maps *base, int stacks_fd, int waits_fd, uint64_t lost,
		    const struct mmaps *mm, struct symbolizer *z, const struct stack_opts *o,
		    struct offcpu_report *out);
/* Per phase, the blocked time and its longest waits; threads named from st. */
void offcpu__table(FILE *f, const struct offcpu_report *r, const struct run_stats *st);
/* phases.json's "offcpu" */
void offcpu__json(struct json *j, const struct offcpu_report *r);
void offcpu__free(struct offcpu_report *r);

#endif /* PHASEPROF_OFFCPU_H */
