/* SPDX-License-Identifier: MIT */
/*
 * backend.h: how a run is observed. A backend arms probes and tracepoints on
 * the held target, turns what the kernel reports into the run's events (struct
 * pp_event, the same whichever backend), and, where it samples stacks, yields
 * them as (key, stack) tuples for folding. The record command drives every
 * backend through these operations and never asks which one runs; what a
 * backend cannot do, it refuses with -EOPNOTSUPP and a reason.
 *
 * Two implementations: BPF (bpf_backend.c: one BPF program, a ring buffer, stack
 * sampling) and perf (perf_backend.c: tracefs uprobe events and
 * perf_event_open, for machines without BPF). Whatever happens,
 * backend__close() leaves no link, program, event or probe behind.
 */
#ifndef PHASEPROF_BACKEND_H
#define PHASEPROF_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "events.h"
#include "stacks.h"
#include "target.h"

struct plan_attach;
struct pp_stack_sample;
struct syscall_report;
struct offcpu_report;
struct self_cost;
/* DWARF mode: called for every stack sample as it is read */
typedef void (*stack_sample_fn)(void *ctx, const struct pp_stack_sample *sample);

struct backend_opts {
	unsigned buffer_mb; /* event buffers, MiB, a power of two */
	const char *btf;    /* kernel BTF, or NULL for the running kernel's */
	/* DWARF mode: the stack samples' ring buffer (MiB, a power of two; 0: fp mode),
	 * how much stack each sample copies, and who unwinds them as they come */
	unsigned stack_ring_mb;
	unsigned stack_copy;
	stack_sample_fn on_stack;
	void *stack_ctx;
	bool syscalls; /* load the system call counters (--syscalls) */
	bool offcpu;   /* load the blocked-time programs (--off-cpu) */
	bool sampling; /* load the stack sampler (not with -F 0) */
	bool fallback; /* load the generic fallback's programs (no profile resolved) */
	bool no_cache; /* load afresh, keep nothing (bpf_cache.h) */
};

enum backend_caps {
	BACKEND_STACKS = 1 << 0, /* samples stacks */
};

struct backend;

/*
 * Every operation that can fail returns 0 or -errno and, where it builds one,
 * a message in why (what failed and why, for the user).
 */
struct backend_ops {
	const char *name;
	unsigned caps;
	int (*open)(struct backend *b, const struct backend_opts *o, char *why, size_t whylen);
	/* exec, fork, exit and scheduling of the target's process tree */
	int (*attach_tracepoints)(struct backend *b, char *why, size_t whylen);
	/* every probe of the plan; on failure *failed is the probe that failed */
	int (*attach_uprobes)(struct backend *b, const struct plan_attach *att, size_t n,
			      size_t *failed, char *why, size_t whylen);
	/* sample stacks hz times a second on every CPU (the target's maps are followed) */
	int (*attach_sampling)(struct backend *b, unsigned hz, char *why, size_t whylen);
	/* the generic fallback: the module file (by inode; 0 for none, and then the
	 * whole run is in phase unknown) and JIT memory */
	int (*attach_fallback)(struct backend *b, uint64_t module_ino, char *why, size_t whylen);
	/* wait for data, for pidfd (the target's exit; -1: none) or a poll interval */
	void (*wait)(struct backend *b, int pidfd);
	/* what arrived so far into the event store */
	int (*drain)(struct backend *b);
	/* the target exited: the last of it into the event store */
	int (*finish)(struct backend *b);
	uint64_t (*lost)(struct backend *b);
	/* every sampled stack, with agg's (DWARF mode, may be NULL); *lost: samples dropped */
	int (*stacks)(struct backend *b, const struct stack_agg *agg, stack_tuple_fn fn, void *ctx,
		      uint64_t *lost);
	/* --syscalls: count the target's system calls by phase, thread and call; the counts */
	int (*attach_syscalls)(struct backend *b, char *why, size_t whylen);
	int (*syscalls)(struct backend *b, struct syscall_report *out);
	/* --off-cpu: blocked time by stack (yielded as tuples, counts in ns) and by waker */
	int (*attach_offcpu)(struct backend *b, char *why, size_t whylen);
	int (*offcpu)(struct backend *b, stack_tuple_fn fn, void *ctx, struct offcpu_report *out);
	/* the run time of the backend's own kernel programs, into c */
	int (*own_cost)(struct backend *b, struct self_cost *c);
	/* everything attached goes with this process's file descriptors (no tracefs
	 * event to remove by name): a keeper process can hold them (NULL: no) */
	bool (*goes_with_fds)(struct backend *b);
	/* DWARF mode: how much stack later samples copy (NULL: fixed at open) */
	void (*set_stack_copy)(struct backend *b, unsigned bytes);
	/* read what comes every few ms rather than when buffers fill (NULL: always) */
	void (*drain_often)(struct backend *b, bool on);
	/* a link made for this run elsewhere (uprobe_warm.h): it comes down with the
	 * backend's own (NULL: backend__take_links() closes it) */
	void (*take_link)(struct backend *b, int fd);
	/* a descriptor the keeper holds besides the links (-1: none; NULL: none) */
	int (*keeper_fd)(struct backend *b);
	/* in the keeper once phaseprof has exited: take the links down and tidy up
	 * (NULL: the links go as the keeper exits) */
	void (*keeper_done)(struct backend *b);
	/* take every probe and tracepoint down; events collected so far stay */
	void (*detach)(struct backend *b);
	void (*close)(struct backend *b);
};

extern const struct backend_ops bpf_backend_ops, perf_backend_ops;

struct backend {
	const struct backend_ops *ops;
	struct target *target;	    /* the runtime's process, spawned and held */
	struct event_store *events; /* where its events go */
	void *priv;		    /* the implementation's state */
};

/* Open ops' backend on target, its events going to es. 0 or -errno (why filled). */
int backend__open(struct backend *b, const struct backend_ops *ops, struct target *t,
		  struct event_store *es, const struct backend_opts *o, char *why, size_t whylen);
int backend__attach_tracepoints(struct backend *b, char *why, size_t whylen);
int backend__attach_uprobes(struct backend *b, const struct plan_attach *att, size_t n,
			    size_t *failed, char *why, size_t whylen);
int backend__attach_sampling(struct backend *b, unsigned hz, char *why, size_t whylen);
int backend__attach_fallback(struct backend *b, uint64_t module_ino, char *why, size_t whylen);
/* DWARF mode: later samples copy bytes of stack. */
void backend__set_stack_copy(struct backend *b, unsigned bytes);
/* Read samples and events every few ms (on), or when buffers fill (off, the default). */
void backend__drain_often(struct backend *b, bool on);
/* The backend owns links fds[0..n) now: they come down with its own (or now, all at once). */
void backend__take_links(struct backend *b, const int *fds, size_t n);
/*
 * Collect events until the target exits. forward() is polled: a signal number
 * it returns is sent to the target. Everything that arrived is in the event
 * store when it returns. 0 or -errno.
 */
int backend__run(struct backend *b, int (*forward)(void));
uint64_t backend__lost(struct backend *b);
int backend__stacks(struct backend *b, const struct stack_agg *agg, stack_tuple_fn fn, void *ctx,
		    uint64_t *lost);
/* What not every backend can do (-EOPNOTSUPP, why filled): --syscalls, --off-cpu, own cost. */
int backend__attach_syscalls(struct backend *b, char *why, size_t whylen);
int backend__syscalls(struct backend *b, struct syscall_report *out);
int backend__attach_offcpu(struct backend *b, char *why, size_t whylen);
int backend__offcpu(struct backend *b, stack_tuple_fn fn, void *ctx, struct offcpu_report *out);
int backend__own_cost(struct backend *b, struct self_cost *c);
void backend__detach(struct backend *b);
/*
 * Take everything down after phaseprof exits: the kernel's grace period on
 * uprobe and tracepoint detach (tens to hundreds of ms) is paid by a keeper
 * process that holds the links until phaseprof is gone and then dies with
 * them, so the user does not wait for it; gone within a second of phaseprof.
 * backend__close() afterwards only drops this process's references. 0 or -errno
 * (-EOPNOTSUPP: the backend must detach itself, by name, before it exits).
 */
int backend__detach_after_exit(struct backend *b);
bool backend__goes_with_fds(struct backend *b);
/* Close what is open; the target and the events stay. Safe on a backend never opened. */
void backend__close(struct backend *b);

#endif /* PHASEPROF_BACKEND_H */
