/* SPDX-License-Identifier: MIT */
/*
 * syscalls.h: --syscalls, the runtime's system calls per phase. The kernel
 * half counts them by (thread, call, phase at entry) and times them from
 * entry to exit; this folds its table into per-phase lists for the report
 * and phases.json. Calls through the vDSO (clock_gettime, gettimeofday,
 * getcpu, time) never enter the kernel and are not counted.
 */
#ifndef PHASEPROF_SYSCALLS_H
#define PHASEPROF_SYSCALLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "phaseprof.h"

struct json;
struct syscall_raw;

/* From the system's <asm/unistd_64.h>, generated at build time; holes are NULL. */
extern const char *const syscall_names[];
extern const unsigned syscall_names_len;

/* One thread's share of a call in a phase. */
struct syscall_thread {
	uint32_t tid;
	uint64_t count, ns;
};

struct syscall_stat {
	uint32_t nr;
	uint64_t count;
	uint64_t ns;			      /* in the kernel, for the calls that returned */
	const struct syscall_thread *threads; /* by tid, in the report's rows */
	size_t nthreads;
};

struct syscall_report {
	struct syscall_stat *phase[PP_PHASE_COUNT]; /* most frequent first */
	size_t n[PP_PHASE_COUNT];
	uint64_t total[PP_PHASE_COUNT];
	uint64_t lost; /* calls that found the kernel's table full */
	struct syscall_thread *rows;
	size_t nrows;
	struct syscall_raw *raw; /* entries as added, until syscalls__finish() */
	size_t nraw, raw_cap;
};

/* "getpid", or "syscall_NNN" for a number the table lacks, in buf. */
const char *syscall__name(uint32_t nr, char *buf, size_t len);
/* Count one kernel entry into r, its phase resolved with the root main thread's
 * final seq (as for stack samples). 0 or -ENOMEM. */
int syscalls__add(struct syscall_report *r, const struct pp_sys_key *k, const struct pp_sys_val *v,
		  uint32_t final_seq);
/* Every entry added: into per-phase lists. 0 or -ENOMEM. */
int syscalls__finish(struct syscall_report *r);
/* The table's "top system calls per phase" block: the top calls of each phase. */
void syscalls__table(FILE *f, const struct syscall_report *r, size_t top);
/* phases.json's "syscalls": {"PHASE": [{"name", "nr", "count", "total_ns", "threads"}], ...} */
void syscalls__json(struct json *j, const struct syscall_report *r);
void syscalls__free(struct syscall_report *r);

#endif /* PHASEPROF_SYSCALLS_H */
