// SPDX-License-Identifier: MIT
/* selfcost.c: phaseprof's own cost from the kernel's BPF statistics, see selfcost.h */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "selfcost.h"

int selfcost__enable_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int selfcost__read_bpf(struct bpf_object *obj, struct self_cost *c)
{
	struct bpf_program *prog;

	if (!obj)
		return -EINVAL;
	bpf_object__for_each_program(prog, obj)
	{
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

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
