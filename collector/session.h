/* SPDX-License-Identifier: MIT */
/*
 * session.h: one observed run. Loads the BPF half, starts the runtime held
 * just before exec, arms every probe, releases it, collects its events until
 * it exits, and takes everything down again. Whatever happens, close() leaves
 * no link, program or probe behind: uprobes are perf-event based and die with
 * their file descriptors.
 */
#ifndef PHASEPROF_SESSION_H
#define PHASEPROF_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <linux/types.h>
#include "phaseprof.h"

struct pp_stack_sample;
/* DWARF mode: called for every stack sample as it is read */
typedef void (*stack_sample_fn)(void *ctx, const struct pp_stack_sample *sample);

struct session {
	struct phaseprof_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks;
	int *link_fds; /* uprobe_multi links, made without libbpf */
	size_t nlink_fds;
	struct pp_event *ev; /* every event, in arrival order */
	size_t nev, cap;
	bool oom;
	pid_t child;
	int go_fd;     /* write end: a byte releases the child into exec */
	int status_fd; /* read end: the child's exec errno, or EOF when exec succeeded */
	bool started, exited;
	bool multi; /* uprobe_multi links (Linux 6.6+) rather than one link per probe */
	struct mmaps *mm; /* the runtime's memory maps, when sampling */
	bool dwarf;       /* stack samples come with registers and stack, to unwind here */
	stack_sample_fn on_stack;
	void *stack_ctx;
	int wait_status;
	struct rusage rusage; /* the runtime's, and its reaped children's, from wait4() */
};

struct session_opts {
	unsigned ringbuf_mb; /* events ring buffer, MiB, a power of two */
	const char *btf;     /* kernel BTF, or NULL for the running kernel's */
	/* DWARF mode: the stack samples' ring buffer (MiB, a power of two; 0: fp mode)
	 * and how much stack each sample copies */
	unsigned stack_ring_mb;
	unsigned stack_copy;
	bool syscalls; /* load the system call counters (--syscalls) */
	bool offcpu;   /* load the blocked-time programs (--off-cpu) */
};


/* Ready an empty session: before spawn and open. */
void session__init(struct session *s);
/* Open and load the BPF half. 0 or -errno. */
int session__open(struct session *s, const struct session_opts *o);
void session__on_stack_sample(struct session *s, stack_sample_fn fn, void *ctx);
/* Fork the runtime's process early; it waits for session__start(). 0 or -errno. */
int session__spawn(struct session *s);
int session__attach_tracepoints(struct session *s);
struct plan_attach;
/* Attach every probe of the plan; on failure *failed is the probe that failed. */
int session__attach_uprobes(struct session *s, const struct plan_attach *att, size_t n,
			    size_t *failed);
/* Sample stacks of the runtime's threads hz times a second on every CPU, and
 * follow its memory maps so the samples can be named after it exits. */
int session__attach_sampling(struct session *s, unsigned hz);
/* The generic fallback: follow the module file (by inode; 0 for none) and JIT memory. */
int session__attach_fallback(struct session *s, uint64_t module_ino);
/* Start thread tid in an entry-only mark of phase, as if a site had fired at exec. */
int session__seed_mark(struct session *s, uint32_t tid, int phase);
struct stack_maps;
/* Where the sample counts are, for stacks__collect(). */
void session__stack_maps(struct session *s, struct stack_maps *maps);

/* Send the child its command line and let it exec, unprivileged. 0, or -errno from a failed exec. */
int session__start(struct session *s, char *const argv[]);
/*
 * Collect events until the runtime exits. forward() is polled: a signal number
 * it returns is sent to the runtime. Drains the ring buffer at the end.
 */
int session__run(struct session *s, int (*forward)(void));
uint64_t session__lost(struct session *s);
/* Take every probe and tracepoint down; events collected so far stay. */
void session__detach(struct session *s);
/* Unload the BPF half, keeping the held runtime (to go on with another backend). */
void session__drop_bpf(struct session *s);
void session__close(struct session *s);
/* --syscalls: count the runtime's system calls by phase, thread and call. */
int session__attach_syscalls(struct session *s);
/* Where they are counted (struct pp_sys_key -> struct pp_sys_val), and how many had no room. */
void session__syscall_maps(struct session *s, int *counts_fd, uint64_t *lost);
/* --off-cpu: time blocked by stack and phase, and by who woke the thread. */
int session__attach_offcpu(struct session *s);
/* off_stacks: pp_sample_key -> ns; off_waits: pp_wait_key -> pp_sys_val; stretches with no room */
void session__offcpu_maps(struct session *s, int *stacks_fd, int *waits_fd, uint64_t *lost);
/* The loaded BPF object (its programs' statistics), or NULL. */
struct bpf_object *session__bpf_object(const struct session *s);

#endif /* PHASEPROF_SESSION_H */
