/* SPDX-License-Identifier: MIT */
/*
 * uprobe_warm.h: the kernel's grace period on the first uprobe, paid while
 * phaseprof prepares rather than while the user waits. Registering a uprobe
 * takes the kernel's dup_mmap_sem for writing, and a percpu rw-semaphore's
 * writer waits for an RCU grace period when no writer came shortly before
 * (rcu_sync): 8 to 30 ms here, the largest part of arming the probes. A
 * thread registers a uprobe on a memfd no process maps (nothing is patched)
 * every 2 ms while the profile resolves and the programs load, so the real
 * registration finds the semaphore warm, and takes them down once the real
 * ones are up. Where there is no uprobe PMU it does nothing; it costs a few
 * system calls.
 */
#ifndef PHASEPROF_UPROBE_WARM_H
#define PHASEPROF_UPROBE_WARM_H

/* Start warming (once per process); stop once the real uprobes are attached. */
void uprobe_warm__start(void);
void uprobe_warm__stop(void);

#endif /* PHASEPROF_UPROBE_WARM_H */
