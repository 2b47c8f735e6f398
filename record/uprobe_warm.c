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
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "parallel.h"
#include "uprobe_multi.h"
#include "uprobe_warm.h"

/* between registrations: well under a grace period, so the state never goes idle */
#define WARM_INTERVAL_US 3000

static struct {
	pthread_t tid;
	bool started;
	atomic_bool stop;
	int prog, memfd;
	char path[64]; /* the memfd, by a path: links name files by path */
	int fds[UPROBE_WARM_MAX];
	size_t n;
} warm = { .prog = -1, .memfd = -1 };

/* The smallest uprobe_multi program: it returns, and never runs (nothing maps the file). */
static int load_program(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = PP_TRACE_UPROBE_MULTI);
	int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "pp_uprobe_warm", "GPL", insns, 2, &opts);

	return fd < 0 ? -errno : fd;
}

static void *warm_loop(void *arg)
{
	const __u64 offset = 0;

	(void)arg;
	while (warm.n < UPROBE_WARM_MAX && !atomic_load(&warm.stop)) {
		int fd = uprobe_multi_link(warm.prog, warm.path, &offset, NULL, 1, false);

		if (fd < 0)
			break;
		warm.fds[warm.n++] = fd;
		usleep(WARM_INTERVAL_US);
	}
	return NULL;
}

static void close_all(void)
{
	if (warm.prog >= 0)
		close(warm.prog);
	if (warm.memfd >= 0)
		close(warm.memfd);
	warm.prog = warm.memfd = -1;
}

void uprobe_warm__start(void)
{
	if (warm.started)
		return;
	warm.prog = load_program();
	/* a memfd: a file of its own, which no process maps, so no text is patched */
	warm.memfd = memfd_create("phaseprof-uprobe-warm", MFD_CLOEXEC);
	if (warm.prog < 0 || warm.memfd < 0 || ftruncate(warm.memfd, 4096)) {
		close_all();
		return;
	}
	snprintf(warm.path, sizeof(warm.path), "/proc/self/fd/%d", warm.memfd);
	atomic_store(&warm.stop, false);
	warm.started = !pthread_create(&warm.tid, NULL, warm_loop, NULL);
	if (!warm.started)
		close_all();
}

void uprobe_warm__discard(void)
{
	int fds[UPROBE_WARM_MAX];

	close_at_once(fds, uprobe_warm__stop(fds, UPROBE_WARM_MAX));
}

size_t uprobe_warm__stop(int *fds, size_t max)
{
	size_t n = 0;

	if (!warm.started)
		return 0;
	atomic_store(&warm.stop, true);
	pthread_join(warm.tid, NULL);
	warm.started = false;
	for (size_t i = 0; i < warm.n; i++) {
		if (n < max)
			fds[n++] = warm.fds[i];
		else
			close(warm.fds[i]);
	}
	warm.n = 0;
	close_all(); /* the links hold the program and the file */
	return n;
}
