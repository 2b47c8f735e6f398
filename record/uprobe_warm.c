// SPDX-License-Identifier: MIT
/*
 * uprobe_warm.c: the grace period of the first uprobe registration, paid
 * early, see uprobe_warm.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include "uprobe_warm.h"

#define UPROBE_PMU_TYPE "/sys/bus/event_source/devices/uprobe/type"
/* between registrations: well under a grace period, so the state never goes idle */
#define WARM_INTERVAL_US 2000
/* at most this many (0.2 s), should the caller never stop it */
#define WARM_MAX_ROUNDS 100

static struct {
	pthread_t tid;
	bool started;
	atomic_bool stop;
	int pmu_type;
	char path[64]; /* the memfd, as the uprobe PMU wants a path */
} warm;

/*
 * One uprobe registered on a file no process maps. It stays registered until
 * the warming ends: unregistering waits for RCU-tasks grace periods (30 ms
 * and more), and the next registration would come too late.
 */
static int register_once(void)
{
	struct perf_event_attr attr = {
		.type = (unsigned)warm.pmu_type,
		.size = sizeof(attr),
		.config1 = (unsigned long)warm.path, /* uprobe_path */
		.config2 = 0,			     /* probe_offset */
		.disabled = 1,
	};

	return (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

static void *warm_loop(void *arg)
{
	int fds[WARM_MAX_ROUNDS], n = 0;

	(void)arg;
	while (n < WARM_MAX_ROUNDS && !atomic_load(&warm.stop)) {
		fds[n] = register_once();
		if (fds[n++] < 0)
			break;
		usleep(WARM_INTERVAL_US);
	}
	while (n--)
		if (fds[n] >= 0)
			close(fds[n]);
	return NULL;
}

static int pmu_type(void)
{
	FILE *f = fopen(UPROBE_PMU_TYPE, "re");
	int type = -1;

	if (!f)
		return -ENOENT;
	if (fscanf(f, "%d", &type) != 1)
		type = -ENOENT;
	fclose(f);
	return type;
}

void uprobe_warm__start(void)
{
	int fd;

	warm.pmu_type = pmu_type();
	if (warm.pmu_type < 0 || warm.started)
		return;
	/* a memfd: a file of its own, which no process maps, so no text is patched */
	fd = memfd_create("phaseprof-uprobe-warm", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 4096)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	snprintf(warm.path, sizeof(warm.path), "/proc/self/fd/%d", fd);
	atomic_store(&warm.stop, false);
	warm.started = !pthread_create(&warm.tid, NULL, warm_loop, NULL);
	if (warm.started)
		pthread_detach(warm.tid);
}

void uprobe_warm__stop(void)
{
	atomic_store(&warm.stop, true);
}
