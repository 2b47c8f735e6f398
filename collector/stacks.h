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

int stacks__collect(const struct stack_maps *maps, const struct mmaps *mm, struct symbolizer *z,
		    const struct stack_opts *o, struct stack_result *out);
/* One line per unique stack, sorted. 0 or -EIO. */
int stacks__write_folded(FILE *f, const struct stack_result *r);
void stacks__free(struct stack_result *r);

#endif /* PHASEPROF_STACKS_H */
