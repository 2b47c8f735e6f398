/* SPDX-License-Identifier: MIT */
/*
 * selfcost.h: what phaseprof itself cost the run, reported on every run: how
 * many stack samples and events it took, and the CPU time its BPF programs
 * ran for (the kernel's BPF run-time statistics), as a share of the
 * runtime's CPU time. The programs run in the context of the runtime's
 * threads (probes, samples) or of the scheduler switching them, so that time
 * is the runtime's time.
 */
#ifndef PHASEPROF_SELFCOST_H
#define PHASEPROF_SELFCOST_H

#include <stdbool.h>
#include <stdint.h>

/* Above this share of the run's CPU time, the report warns. */
#define SELFCOST_WARN_SHARE 0.05

struct self_cost {
	bool measured;	     /* BPF statistics were on for the run */
	uint64_t bpf_ns;     /* time in phaseprof's BPF programs */
	uint64_t bpf_runs;   /* how many times they ran */
	uint64_t samples;    /* stack samples taken */
	uint64_t events;     /* events collected */
	uint64_t run_cpu_ns; /* the runtime's CPU time, the base of the share */
};

/* Turn the kernel's BPF run-time statistics on while the returned fd is
 * open (they cost every BPF program two clock reads). fd or -errno. */
int selfcost__enable_stats(void);
/* Add up the run time of the programs fds[0..n) (a negative fd: not loaded). 0 or -errno. */
int selfcost__read_progs(const int *fds, int n, struct self_cost *c);
/* bpf_ns over run_cpu_ns; 0 when not measured */
static inline double selfcost__share(const struct self_cost *c)
{
	return c->measured && c->run_cpu_ns ? (double)c->bpf_ns / c->run_cpu_ns : 0;
}

#endif /* PHASEPROF_SELFCOST_H */
