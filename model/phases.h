/* SPDX-License-Identifier: MIT */
/*
 * phases.h: the phase model. From the events of one run (exec, fork, exit,
 * on/off CPU, probe hits) it computes, per phase, wall time (union over
 * threads), CPU time (on-CPU time of threads while in the phase), intervals
 * and threads. Pure code: no BPF, no I/O, so it is unit-tested on made-up
 * event streams.
 *
 * Per thread, a stack of open phases whose innermost owns the time, changed
 * by the rules of bpf/phase_rules.h (the kernel half tags samples with them).
 * On the root process's main thread, time before the first phase is startup,
 * time after the last phase closed is teardown, and time between a close and
 * the next open stays with the phase that closed. Every other thread's time
 * outside its own phases belongs to the phase the main thread is in.
 */
#ifndef PHASEPROF_PHASES_H
#define PHASEPROF_PHASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "phaseprof.h"

struct phase_stats {
	uint64_t wall_ns;   /* union of every thread's time in the phase */
	uint64_t cpu_ns;    /* on-CPU time of those threads while in the phase */
	uint64_t main_ns;   /* the root main thread's time in the phase */
	uint64_t intervals; /* times the phase was entered (startup/teardown: 0 or 1) */
	uint32_t threads;   /* threads that entered it or ran on a CPU in it */
};

/* One stretch of a thread's time in one phase; times relative to the run's start. */
struct phase_interval {
	uint64_t start_ns, end_ns;
	int phase;
};

/* Intervals kept per thread for the timeline; later ones are counted, not kept. */
#define PHASES_MAX_INTERVALS 1024

struct thread_stats {
	uint32_t tid, tgid;
	char comm[PP_COMM_LEN];
	uint64_t start_ns, end_ns; /* relative to the run's start */
	uint64_t cpu_ns;
	uint64_t phase_ns[PP_PHASE_COUNT];
	uint64_t phase_cpu_ns[PP_PHASE_COUNT];
	/* the thread's timeline in order, adjacent stretches of one phase joined */
	struct phase_interval *iv; /* malloc'd, at most PHASES_MAX_INTERVALS */
	size_t niv;
	uint64_t iv_dropped; /* intervals past the cap */
};

struct run_stats {
	bool started;       /* the root's exec was seen */
	uint64_t start_ts;  /* root exec, CLOCK_MONOTONIC ns */
	uint64_t end_ts;    /* root's last thread exit (or the last event) */
	uint64_t wall_ns;
	uint64_t cpu_ns;    /* every tracked thread's on-CPU time */
	struct phase_stats phase[PP_PHASE_COUNT];
	uint64_t unmatched_pops; /* closes with no open bracket of their phase on the thread */
	uint32_t processes;
	struct thread_stats *threads; /* malloc'd, sorted by tid of start */
	size_t nthreads;
};

/* Compute the statistics of the run whose first process is root. ev is
 * reordered by time in place. 0 or -ENOMEM. */
int phases__compute(struct pp_event *ev, size_t n, uint32_t root, struct run_stats *out);
void phases__free(struct run_stats *st);

#endif /* PHASEPROF_PHASES_H */
