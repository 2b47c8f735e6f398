/* SPDX-License-Identifier: MIT */
/*
 * uprobe_warm.h: the kernel's grace period on the first uprobe, paid while
 * phaseprof prepares rather than while the user waits. Registering a uprobe
 * takes the kernel's dup_mmap_sem for writing, and a percpu rw-semaphore's
 * writer waits for an RCU grace period when no writer came shortly before
 * (rcu_sync): 5 to 26 ms here, the largest part of arming the probes. A
 * thread links a two-instruction BPF program (pp_uprobe_warm) as a uprobe
 * on a memfd that no process maps (nothing is patched, it never runs) every
 * 3 ms while the profile resolves and the programs load, so the real
 * registration finds the semaphore warm. Its links are the run's: they come
 * down with the backend's, after phaseprof exits. uprobe_multi links, not
 * perf uprobe events: those take the tracing event_mutex, which their
 * teardown holds across grace periods. Where the kernel has no uprobe_multi
 * links it does nothing.
 */
#ifndef PHASEPROF_UPROBE_WARM_H
#define PHASEPROF_UPROBE_WARM_H

#include <stddef.h>

/* links at most: 0.1 s of warming, should the real probes be late */
#define UPROBE_WARM_MAX 32

/* Start warming (once). */
void uprobe_warm__start(void);
/* Stop once the real uprobes are attached: the warming links' fds (at most max) into fds. */
size_t uprobe_warm__stop(int *fds, size_t max);
/* Stop, and take the warming links down (all at once): the run ends before its probes. */
void uprobe_warm__discard(void);

#endif /* PHASEPROF_UPROBE_WARM_H */
