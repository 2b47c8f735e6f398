// SPDX-License-Identifier: MIT
/* selfcost.c: phaseprof's own cost from the kernel's BPF statistics, see selfcost.h */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include "selfcost.h"

int selfcost__enable_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int selfcost__read_progs(const int *fds, int n, struct self_cost *c)
{
	for (int i = 0; i < n; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = fds[i];

		if (fd < 0) /* not loaded: autoload was off */
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return -errno;
		c->bpf_ns += info.run_time_ns;
		c->bpf_runs += info.run_cnt;
	}
	c->measured = true;
	return 0;
}
