/* SPDX-License-Identifier: MIT */
/*
 * report.h: what a run found, as a table for people (stderr) and as
 * phases.json for machines. Both print from one struct report, so they never
 * disagree.
 */
#ifndef PHASEPROF_REPORT_H
#define PHASEPROF_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "phases.h"
#include "plan.h"
#include "profile.h"
#include "fallback.h"
#include "stacks.h"
#include "selfcost.h"
#include "syscalls.h"
#include "offcpu.h"

struct report {
	const struct profile *profile;
	const char *runtime_path;
	const char *build_id; /* or NULL */
	const char *version;  /* or NULL */
	char *const *argv;    /* the command that ran */
	int exit_status;      /* what phaseprof exits with: status, or 128 + signal */
	int term_signal;      /* 0, or the signal that killed the runtime */
	const struct run_stats *st;
	const struct plan *plan;
	uint64_t events;
	uint64_t lost_events;
	uint64_t rusage_user_ns, rusage_system_ns; /* the runtime's CPU time, by the kernel's count */
	unsigned freq; /* sampling frequency, 0 when stacks were not sampled */
	const struct stack_result *stacks; /* or NULL */
	const char *call_graph;            /* "fp" or "dwarf" */
	const char *backend;               /* "bpf" or "perf": what timed the run */
	uint64_t truncated_stacks;         /* DWARF mode: walks that ran past the copied stack */
	unsigned stack_copy;               /* DWARF mode: bytes copied per sample (the last) */
	bool stack_copy_grew;              /* it grew during the run (no SIZE given) */
	/* the generic fallback, when it was used: what it saw and why it was used */
	const struct fallback_view *fallback;
	const char *fallback_why;
	const char *module;
	const struct self_cost *cost; /* phaseprof's own cost, or NULL */
	const struct syscall_report *syscalls; /* --syscalls, or NULL */
	const struct offcpu_report *offcpu;    /* --off-cpu, or NULL */
	/* the module among the arguments: "wasm", "wamr-aot", "wasmedge-aot" or "unknown" */
	const char *module_kind;
};

void report__table(FILE *f, const struct report *r);
void report__json(FILE *f, const struct report *r);

#endif /* PHASEPROF_REPORT_H */
