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
	size_t n, cap;
	uint64_t lost;		    /* stretches with no room in the kernel's tables */
	struct stack_result stacks; /* counts in microseconds */
};

/* One entry of the kernel's table of waits into r, phases resolved with the root
 * main thread's final seq (as for stack samples). 0 or -ENOMEM. */
int offcpu__add_wait(struct offcpu_report *r, const struct pp_wait_key *k,
		     const struct pp_sys_val *v, uint32_t final_seq);
/* Every wait added, and r->stacks folded from tuples counting nanoseconds: merge the
 * waits, and the stacks to microseconds. */
void offcpu__finish(struct offcpu_report *r);
/* Per phase, the blocked time and its longest waits; threads named from st. */
void offcpu__table(FILE *f, const struct offcpu_report *r, const struct run_stats *st);
/* phases.json's "offcpu" */
void offcpu__json(struct json *j, const struct offcpu_report *r);
void offcpu__free(struct offcpu_report *r);

#endif /* PHASEPROF_OFFCPU_H */
