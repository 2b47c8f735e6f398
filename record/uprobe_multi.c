// SPDX-License-Identifier: MIT
/* uprobe_multi.c: uprobe_multi links by the raw bpf() call, see uprobe_multi.h */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include "uprobe_multi.h"

#define PP_F_UPROBE_MULTI_RETURN 1U

/* The layout of union bpf_attr's link_create.uprobe_multi (Linux 6.6+). */
struct uprobe_multi_attr {
	__u32 prog_fd, target_fd, attach_type, flags;
	__u64 path, offsets, ref_ctr_offsets, cookies;
	__u32 cnt, uprobe_flags, pid, pad;
	__u8 zero[64]; /* room the kernel checks is zero */
};

int uprobe_multi_link(int prog_fd, const char *path, const __u64 *offsets, const __u64 *cookies,
		      __u32 n, bool retprobe)
{
	struct uprobe_multi_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (__u32)prog_fd;
	attr.attach_type = PP_TRACE_UPROBE_MULTI;
	attr.path = (__u64)(unsigned long)path;
	attr.offsets = (__u64)(unsigned long)offsets;
	attr.cookies = (__u64)(unsigned long)cookies;
	attr.cnt = n;
	attr.uprobe_flags = retprobe ? PP_F_UPROBE_MULTI_RETURN : 0;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}
