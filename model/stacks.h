/* SPDX-License-Identifier: MIT */
/*
 * stacks.h: sampled stacks, as a backend yields them, named and folded into
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

struct stack_opts {
	bool phase_frame;   /* [phase] after the process */
	bool process_frame; /* the process name first */
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

/*
 * One distinct stack and how often it was sampled: what a backend yields and
 * folding takes (neither needs to know how the other keeps them).
 */
struct stack_tuple {
	uint32_t tgid;
	int phase;            /* resolved: startup, teardown and lingering told apart */
	const char *comm;     /* the sampled thread's name, PP_COMM_LEN at most */
	const uint64_t *user; /* innermost first */
	int nuser;
	const uint64_t *kernel; /* innermost first; nkernel < 0: none was taken */
	int nkernel;
	uint64_t count;
	uint64_t ended; /* of count, walks the unwinder took to the outermost frame */
};

typedef int (*stack_tuple_fn)(void *ctx, const struct stack_tuple *t);

/* Folding: set the first fields, stacks__fold_begin(), one stacks__fold() per tuple, _end(). */
struct stack_fold {
	const struct mmaps *mm;
	struct symbolizer *z;
	const struct stack_opts *o;
	/* the process name of a tgid, for the process frame (may be NULL) */
	const char *(*process_name)(uint32_t tgid, void *ctx);
	void *ctx;
	struct stack_result *r;
	char *buf; /* one line being built */
};

int stacks__fold_begin(struct stack_fold *f, struct stack_result *r);
/* Count one tuple into its line; a stack_tuple_fn (fold is the struct stack_fold). */
int stacks__fold(void *fold, const struct stack_tuple *t);
/* lost: samples the backend had no room for. */
void stacks__fold_end(struct stack_fold *f, uint64_t lost);

/* DWARF mode: user stacks unwound in user space, counted by (key, frames) */
struct stack_agg;
struct stack_agg *stack_agg__new(void);
/* Count one sample; ips innermost first; ended: the walk reached the outermost
 * frame (its CFI says there is no caller). 0 or -ENOMEM. */
int stack_agg__add(struct stack_agg *a, const struct pp_sample_key *k, const uint64_t *ips,
		   int n, bool ended);
/* Every entry of a, until fn returns non-zero (returned). */
int stack_agg__each(const struct stack_agg *a,
		    int (*fn)(void *ctx, const struct pp_sample_key *k, const uint64_t *ips, int n,
			      uint64_t count, uint64_t ended),
		    void *ctx);
void stack_agg__free(struct stack_agg *a);

/* One line per unique stack, sorted. 0 or -EIO. */
int stacks__write_folded(FILE *f, const struct stack_result *r);
void stacks__free(struct stack_result *r);

#endif /* PHASEPROF_STACKS_H */
