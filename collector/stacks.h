/* SPDX-License-Identifier: MIT */
/*
 * stacks.h: the stack samples the kernel half counted, named and folded into
 * `process;[phase];outer;...;inner COUNT` lines (the format flamegraph.pl,
 * inferno and speedscope read). Kernel frames end in _[k], JIT frames in _[j].
 */
#ifndef PHASEPROF_STACKS_H
#define PHASEPROF_STACKS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "mmaps.h"
#include "phaseprof.h"
#include "symbolize.h"

/* One distinct sample as it is folded, with its raw frames (for pprof). */
struct stack_sample_view {
	const struct pp_sample_key *k;
	const char *process; /* the process's name, or NULL */
	int phase;
	const uint64_t *uips; /* user frames, innermost first */
	int un;
	const uint64_t *kips; /* kernel frames, innermost first */
	int kn;
	uint64_t count;
};

struct stack_opts {
	bool phase_frame;   /* [phase] after the process */
	bool process_frame; /* the process name first */
	/* called for every distinct sample folded, when set; an error stops the fold */
	int (*on_sample)(void *ctx, const struct stack_sample_view *v);
	void *sample_ctx;
};

struct fold_line {
	char *stack;
	uint64_t count;
	int phase;
};

struct stack_result {
	uint64_t phase_samples[PP_PHASE_COUNT];
	uint64_t total;
	uint64_t lost;        /* samples with no room in the kernel's table */
	uint64_t no_stack;    /* samples whose user stack could not be taken */
	uint64_t named, unknown; /* frames */
	/* samples whose user stack reaches main or a thread's start, or (DWARF) the
	 * outermost frame by its CFI: ld.so's entry before main exists */
	uint64_t complete;
	struct fold_line *lines;
	size_t n, cap;
	size_t *slots; /* hash index of lines */
	size_t nslots;
};

/* Where the counts are: the kernel half's maps. */
struct stack_maps {
	int samples_fd, stacks_fd, tstate_fd;
	uint64_t samples_lost;
	uint32_t root_tid;
	/* the process name of a tgid, for the process frame */
	const char *(*process_name)(uint32_t tgid, void *ctx);
	void *ctx;
};

/* DWARF mode: user stacks unwound in user space, counted by (key, frames) */
struct stack_agg;
struct stack_agg *stack_agg__new(void);
/* Count one sample; ips innermost first; ended: the walk reached the outermost
 * frame (its CFI says there is no caller). 0 or -ENOMEM. */
int stack_agg__add(struct stack_agg *a, const struct pp_sample_key *k, const uint64_t *ips,
		   int n, bool ended);
void stack_agg__free(struct stack_agg *a);

/* Fold the kernel's counts and, in DWARF mode, agg's (may be NULL). */
int stacks__collect(const struct stack_maps *maps, const struct stack_agg *agg,
		    const struct mmaps *mm, struct symbolizer *z, const struct stack_opts *o,
		    struct stack_result *out);
/* One line per unique stack, sorted. 0 or -EIO. */
int stacks__write_folded(FILE *f, const struct stack_result *r);
void stacks__free(struct stack_result *r);

#endif /* PHASEPROF_STACKS_H */
