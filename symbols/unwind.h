/* SPDX-License-Identifier: MIT */
/*
 * unwind.h: user stacks without frame pointers. A `--call-graph dwarf` sample
 * brings the user registers at the sample and a copy of the top of the user
 * stack; the unwinder walks it with the CFI (.eh_frame, .debug_frame) of each
 * mapped file, loaded once per file, and steps by frame pointer through code
 * that has none (JIT code in anonymous memory: V8 and Cranelift keep frame
 * pointers), then carries on with CFI. x86-64 only.
 */
#ifndef PHASEPROF_UNWIND_H
#define PHASEPROF_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include "mmaps.h"

/* x86-64: what the kernel gives at the sample (user pt_regs). The CFI of
 * compiled code only ever needs these: the callee-saved registers, ip and sp. */
struct unwind_regs {
	uint64_t ip, sp, bp, bx, r12, r13, r14, r15;
};

/*
 * Return addresses a pending uretprobe replaced with the kernel's trampoline:
 * at stack address slot[i] the stack holds the trampoline, and orig[i] is
 * what the function will really return to.
 */
struct unwind_hidden {
	const uint64_t *slot, *orig;
	unsigned n;
};

enum unwind_stop {
	/* a frame whose CFI says the return address is undefined (_start, a thread's
	 * start in clone), or ip 0 */
	UNWIND_END,
	/* the walk needed memory beyond the copied stack */
	UNWIND_TRUNCATED,
	/* no CFI and no frame-pointer step possible, or a step that did not go up the stack */
	UNWIND_NO_INFO,
	/* max frames */
	UNWIND_LIMIT,
};

struct unwind_stats {
	uint64_t samples;
	uint64_t frames;     /* addresses written, ips[0] included */
	uint64_t truncated;  /* samples that stopped with UNWIND_TRUNCATED */
	uint64_t no_info;    /* samples that stopped with UNWIND_NO_INFO */
	uint64_t cfi_misses; /* frames in a file without CFI for the pc (then stepped by fp) */
	uint64_t fp_steps;   /* frames stepped by frame pointer (anonymous code, CFI misses) */
	uint64_t cfi_steps;  /* frames stepped by CFI */
	uint64_t cache_hits; /* CFI steps whose rules came from the per-pc cache */
	uint64_t files;      /* files opened for their CFI */
};

struct unwinder;

/* NULL with errno set. Not thread-safe: one unwinder per thread. */
struct unwinder *unwinder__new(void);
void unwinder__free(struct unwinder *u);

/*
 * Unwind one sample of process pid. stack holds len bytes copied from
 * regs->sp upward. Writes up to max addresses, innermost first: ips[0] is
 * regs->ip, then the callers' return addresses as they are on the stack (look
 * them up at address - 1; the one after a signal frame is the exact interrupted
 * pc). Returns the count (0 when max <= 0 or regs->ip is 0), and *stop says
 * why the walk ended.
 */
int unwinder__unwind(struct unwinder *u, const struct mmaps *mm, uint32_t pid,
		     const struct unwind_regs *regs, const void *stack, size_t len,
		     uint64_t *ips, int max, enum unwind_stop *stop);
/* The same, for a thread with pending uretprobes (hidden may be NULL). */
int unwinder__unwind_hidden(struct unwinder *u, const struct mmaps *mm, uint32_t pid,
			    const struct unwind_regs *regs, const void *stack, size_t len,
			    const struct unwind_hidden *hidden, uint64_t *ips, int max,
			    enum unwind_stop *stop);

/* Counters for reports, since unwinder__new(). */
void unwinder__stats(const struct unwinder *u, struct unwind_stats *out);

#endif /* PHASEPROF_UNWIND_H */
