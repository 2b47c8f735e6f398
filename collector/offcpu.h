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

/* The kernel's table of waits (pp_wait_key -> pp_sys_val) into r, phases resolved
 * with the root main thread's final seq. 0 or -ENOMEM. */
int offcpu__collect_waits(int waits_fd, uint32_t final_seq, struct offcpu_report *r);
/* After r->stacks was folded from tuples counting nanoseconds: to microseconds. */
void offcpu__finish(struct offcpu_report *r);
/* Per phase, the blocked time and its longest waits; threads named from st. */
void offcpu__table(FILE *f, const struct offcpu_report *r, const struct run_stats *st);
/* phases.json's "offcpu" */
void offcpu__json(struct json *j, const struct offcpu_report *r);
void offcpu__free(struct offcpu_report *r);

#endif /* PHASEPROF_OFFCPU_H */
