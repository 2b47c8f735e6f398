// SPDX-License-Identifier: MIT
/* session.c: the BPF skeleton's lifecycle and the runtime's process, see session.h */
#define _GNU_SOURCE
#define PR_DOMAIN "session"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "phaseprof.skel.h"
#include "runtime.h"
#include "session.h"


static int on_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (size < sizeof(struct pp_event))
		return 0;
	if (s->nev == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		struct pp_event *v = realloc(s->ev, cap * sizeof(*v));

		if (!v) {
			s->oom = true;
			return -ENOMEM;
		}
		s->ev = v;
		s->cap = cap;
	}
	memcpy(&s->ev[s->nev++], data, sizeof(struct pp_event));
	return 0;
}

int session__open(struct session *s, unsigned ringbuf_mb, const char *btf_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	int err;

	memset(s, 0, sizeof(*s));
	s->child = -1;
	s->go_fd = s->status_fd = -1;
	s->skel = phaseprof_bpf__open_opts(&opts);
	if (!s->skel)
		return -errno;
	/* ring buffers are a power of two pages */
	err = bpf_map__set_max_entries(s->skel->maps.events, (ringbuf_mb ? ringbuf_mb : 1) << 20);
	if (!err)
		err = phaseprof_bpf__load(s->skel);
	if (err)
		return err;
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event, s, NULL);
	return s->rb ? 0 : -errno;
}

/* In the child: wait for the go byte, become the invoking user, exec. */
static void child_exec(int go_fd, int status_fd, char *const argv[])
{
	char go;
	int err;

	if (read(go_fd, &go, 1) != 1)
		_exit(127); /* phaseprof gave up before the start */
	err = drop_to_invoking_user();
	if (!err) {
		execv(argv[0], argv);
		err = -errno;
	}
	err = -err;
	if (write(status_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int session__spawn(struct session *s, char *const argv[])
{
	int go[2], status[2];

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(status, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	s->child = fork();
	if (s->child < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		close(status[0]);
		close(status[1]);
		return err;
	}
	if (s->child == 0) {
		close(go[1]);
		close(status[0]);
		child_exec(go[0], status[1], argv);
	}
	close(go[0]);
	close(status[1]);
	s->go_fd = go[1];
	s->status_fd = status[0];
	return 0;
}

static int add_link(struct session *s, struct bpf_link *link)
{
	struct bpf_link **v;

	if (!link)
		return -errno;
	v = realloc(s->links, (s->nlinks + 1) * sizeof(*v));
	if (!v) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	s->links = v;
	s->links[s->nlinks++] = link;
	return 0;
}

int session__attach_tracepoints(struct session *s)
{
	__u32 pid = s->child;
	__u8 one = 1;
	int err;

	/* the child's pid is tracked before it execs: nothing it runs goes unseen */
	err = bpf_map__update_elem(s->skel->maps.tracked, &pid, sizeof(pid), &one, sizeof(one),
				   BPF_ANY);
	if (err)
		return err;
	err = add_link(s, bpf_program__attach(s->skel->progs.on_exec));
	if (!err)
		err = add_link(s, bpf_program__attach(s->skel->progs.on_fork));
	if (!err)
		err = add_link(s, bpf_program__attach(s->skel->progs.on_exit));
	if (!err)
		err = add_link(s, bpf_program__attach(s->skel->progs.on_switch));
	return err;
}

int session__attach_uprobe(struct session *s, const char *path, uint64_t offset, uint64_t cookie,
			   bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe, .bpf_cookie = cookie);

	/* every process that maps the file hits it; the BPF side keeps only ours */
	return add_link(s, bpf_program__attach_uprobe_opts(s->skel->progs.site_hit, -1, path,
							   offset, &opts));
}

int session__start(struct session *s)
{
	int exec_errno = 0;
	ssize_t n;

	if (write(s->go_fd, "g", 1) != 1)
		return -errno;
	close(s->go_fd);
	s->go_fd = -1;
	/* EOF: the status pipe closed on exec, which succeeded */
	n = read(s->status_fd, &exec_errno, sizeof(exec_errno));
	close(s->status_fd);
	s->status_fd = -1;
	if (n == sizeof(exec_errno)) {
		waitpid(s->child, &s->wait_status, 0);
		s->exited = true;
		return -exec_errno;
	}
	s->started = true;
	return 0;
}

/* Wait for the ring buffer to fill, the runtime to exit, or a poll interval. */
static void wait_for_activity(struct session *s, int pidfd)
{
	struct pollfd pfd[2] = {
		{ .fd = ring_buffer__epoll_fd(s->rb), .events = POLLIN },
		{ .fd = pidfd, .events = POLLIN },
	};

	poll(pfd, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? 200 : 20);
}

int session__run(struct session *s, int (*forward)(void))
{
	int pidfd = (int)syscall(SYS_pidfd_open, s->child, 0);
	int err = 0;

	while (!s->exited) {
		pid_t r;
		int sig = forward ? forward() : 0;

		if (sig)
			kill(s->child, sig);
		wait_for_activity(s, pidfd);
		err = ring_buffer__consume(s->rb);
		if (err < 0 && err != -EINTR)
			break;
		err = 0;
		r = waitpid(s->child, &s->wait_status, WNOHANG);
		if (r == s->child)
			s->exited = true;
		else if (r < 0 && errno != EINTR)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	/* the exit tracepoint ran before the parent could reap: all events are in */
	while (ring_buffer__consume(s->rb) > 0)
		;
	return err < 0 ? err : s->oom ? -ENOMEM : 0;
}

uint64_t session__lost(struct session *s)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 zero = 0;
	uint64_t total = 0, *vals;

	if (ncpu <= 0 || !s->skel)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (vals && !bpf_map__lookup_elem(s->skel->maps.lost, &zero, sizeof(zero), vals,
					  ncpu * sizeof(*vals), 0))
		for (int i = 0; i < ncpu; i++)
			total += vals[i];
	free(vals);
	return total;
}

void session__detach(struct session *s)
{
	for (size_t i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	free(s->links);
	s->links = NULL;
	s->nlinks = 0;
}

void session__close(struct session *s)
{
	if (s->go_fd >= 0)
		close(s->go_fd); /* a held child reads EOF and exits without exec */
	if (s->status_fd >= 0)
		close(s->status_fd);
	session__detach(s);
	/* failing half way: the probes are gone, the runtime finishes on its own */
	if (s->child > 0 && !s->exited) {
		while (waitpid(s->child, &s->wait_status, 0) < 0 && errno == EINTR)
			;
		s->exited = true;
	}
	ring_buffer__free(s->rb);
	s->rb = NULL;
	phaseprof_bpf__destroy(s->skel);
	s->skel = NULL;
	free(s->ev);
	s->ev = NULL;
}
