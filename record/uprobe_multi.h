/* SPDX-License-Identifier: MIT */
/*
 * uprobe_multi.h: uprobe_multi links (Linux 6.6+), made with the raw bpf()
 * call: libbpf 1.1 predates them. One link arms a program on many offsets
 * of one file, and comes down in one set of grace periods.
 */
#ifndef PHASEPROF_UPROBE_MULTI_H
#define PHASEPROF_UPROBE_MULTI_H

#include <stdbool.h>
#include <linux/types.h>

/* BPF_TRACE_UPROBE_MULTI, from Linux 6.6 (commit 89ae89f53d20); absent from older UAPI headers */
#define PP_TRACE_UPROBE_MULTI 48

/* A link of prog_fd on path at offsets[0..n) (cookies may be NULL): its fd, or -errno. */
int uprobe_multi_link(int prog_fd, const char *path, const __u64 *offsets, const __u64 *cookies,
		      __u32 n, bool retprobe);

#endif /* PHASEPROF_UPROBE_MULTI_H */
