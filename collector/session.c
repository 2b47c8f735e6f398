// SPDX-License-Identifier: MIT
/* session.c: the BPF skeleton's lifecycle and the runtime's process, see session.h */
#define _GNU_SOURCE
#define PR_DOMAIN "session"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "vec.h"
#include "log.h"
#include "mmaps.h"
#include "plan.h"
#include "stacks.h"
#include "phaseprof.skel.h"
#include "runtime.h"
#include "session.h"


static int on_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	struct pp_event *ev;

	if (size < sizeof(struct pp_event))
		return 0;
	ev = vec_grow(s->ev, s->nev, &s->cap, sizeof(*ev), 65536);
	if (!ev) {
		s->oom = true;
		return -ENOMEM;
	}
	s->ev = ev;
	memcpy(&s->ev[s->nev++], data, sizeof(struct pp_event));
	return 0;
}

/* BPF_TRACE_UPROBE_MULTI, from Linux 6.6 (commit 89ae89f53d20); absent from older UAPI headers */
#define PP_TRACE_UPROBE_MULTI 48
#define PP_F_UPROBE_MULTI_RETURN 1U

static int load_skeleton(struct session *s, const struct session_opts *o, bool multi)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = o->btf);
	unsigned stack_ring = o->stack_ring_mb ? o->stack_ring_mb << 20 : 4096;
	int err;

	s->skel = phaseprof_bpf__open_opts(&opts);
	if (!s->skel)
		return -errno;
	/* ring buffers are a power of two pages */
	err = bpf_map__set_max_entries(s->skel->maps.events, (o->ringbuf_mb ?: 1) << 20);
	err = err ?: bpf_map__set_max_entries(s->skel->maps.stack_samples, stack_ring);
	if (multi)
		err = err ?: bpf_program__set_expected_attach_type(s->skel->progs.site_hit_multi,
								    PP_TRACE_UPROBE_MULTI);
	else
		err = err ?: bpf_program__set_autoload(s->skel->progs.site_hit_multi, false);
	err = err ?: phaseprof_bpf__load(s->skel);
	if (err) {
		phaseprof_bpf__destroy(s->skel);
		s->skel = NULL;
		return err;
	}
	s->skel->data->stack_copy_size = o->stack_copy < PP_STACK_COPY_MAX ? o->stack_copy :
									   PP_STACK_COPY_MAX;
	s->skel->data->stack_wakeup_bytes = stack_ring / 4;
	return 0;
}

static int on_stack_sample(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (size >= sizeof(struct pp_stack_sample) && s->on_stack)
		s->on_stack(s->stack_ctx, data);
	return 0;
}

void session__on_stack_sample(struct session *s, stack_sample_fn fn, void *ctx)
{
	s->on_stack = fn;
	s->stack_ctx = ctx;
}

int session__open(struct session *s, const struct session_opts *o)
{
	int err;

	s->dwarf = o->stack_ring_mb > 0;
	/* try uprobe_multi first; a kernel that predates it refuses the program */
	s->multi = load_skeleton(s, o, true) == 0;
	if (!s->multi) {
		pr_debug("no uprobe_multi links here; one perf event per probe");
		err = load_skeleton(s, o, false);
		if (err)
			return err;
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event, s, NULL);
	if (!s->rb)
		return -errno;
	if (s->dwarf && ring_buffer__add(s->rb, bpf_map__fd(s->skel->maps.stack_samples),
					 on_stack_sample, s))
		return -errno;
	return 0;
}

void session__init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->child = -1;
	s->go_fd = s->status_fd = -1;
}

#define MAX_ARGV_BYTES (4 << 20)

/* In the child: read the command line phaseprof sends when all is armed. */
static char **read_argv(int fd)
{
	uint32_t len, argc = 0;
	char *buf, **argv;
	size_t got = 0;

	if (read(fd, &len, sizeof(len)) != sizeof(len) || len == 0 || len > MAX_ARGV_BYTES)
		return NULL;
	buf = malloc(len);
	while (buf && got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n <= 0)
			return NULL;
		got += n;
	}
	if (!buf || buf[len - 1])
		return NULL;
	for (uint32_t i = 0; i < len; i++)
		argc += !buf[i];
	argv = calloc(argc + 1, sizeof(*argv));
	for (uint32_t i = 0, k = 0; argv && k < argc; k++) {
		argv[k] = buf + i;
		i += strlen(buf + i) + 1;
	}
	return argv;
}

/*
 * In the child: die with phaseprof. A phaseprof killed with SIGKILL cannot
 * stop the runtime, which would run on, re-parented to init. Set after the
 * privilege drop, which clears it (prctl(2): a change of effective or file
 * system uid or gid does); execve keeps it, unless the runtime is set-user-ID
 * or has file capabilities. The signal comes when the thread that forked
 * exits: phaseprof's main thread, which lives as long as phaseprof. If
 * phaseprof died before the prctl, the parent is init already and no signal
 * will come: give up now.
 */
static int die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		return -errno;
	if (getppid() != parent)
		_exit(127);
	return 0;
}

/* In the child: wait for the command line, become the invoking user, exec. */
static void child_exec(int go_fd, int status_fd, pid_t parent)
{
	char **argv = read_argv(go_fd);
	int err;

	if (!argv)
		_exit(127); /* phaseprof gave up before the start */
	err = drop_to_invoking_user();
	err = err ?: die_with_parent(parent);
	if (!err) {
		execv(argv[0], argv);
		err = -errno;
	}
	err = -err;
	if (write(status_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * Fork while phaseprof is still small and has one thread: the copy is cheap,
 * and so is the exec that throws it away, which the runtime's rusage counts.
 */
int session__spawn(struct session *s)
{
	int go[2], status[2];
	pid_t parent = getpid();

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
		child_exec(go[0], status[1], parent);
	}
	close(go[0]);
	close(status[1]);
	s->go_fd = go[1];
	s->status_fd = status[0];
	return 0;
}

/* The command line as the child reads it: a length, then NUL-terminated words. */
static int send_argv(int fd, char *const argv[])
{
	size_t len = 0;
	uint32_t len32;
	char *buf, *p;
	int err = 0;

	for (size_t i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	if (!len || len > MAX_ARGV_BYTES)
		return -E2BIG;
	buf = p = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; argv[i]; i++)
		p = stpcpy(p, argv[i]) + 1;
	len32 = (uint32_t)len;
	if (write(fd, &len32, sizeof(len32)) != sizeof(len32))
		err = -errno;
	for (size_t done = 0; !err && done < len;) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n <= 0)
			err = n < 0 ? -errno : -EPIPE;
		else
			done += n;
	}
	free(buf);
	return err;
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

/* libbpf 1.1 cannot wrap a link fd it did not make: keep those as plain fds */
static int add_link_fd(struct session *s, int fd)
{
	int *v = realloc(s->link_fds, (s->nlink_fds + 1) * sizeof(*v));

	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	s->link_fds = v;
	s->link_fds[s->nlink_fds++] = fd;
	return 0;
}

int session__attach_tracepoints(struct session *s)
{
	__u32 pid = s->child;
	__u8 one = 1;
	int err;

	s->skel->bss->root_tid = pid;
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

static int attach_one(struct session *s, const struct plan_attach *a)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = a->retprobe, .bpf_cookie = a->cookie);

	/* every process that maps the file hits it; the BPF side keeps only ours */
	return add_link(s, bpf_program__attach_uprobe_opts(s->skel->progs.site_hit, -1, a->path,
							   a->offset, &opts));
}

/* The layout of union bpf_attr's link_create.uprobe_multi (Linux 6.6+). */
struct uprobe_multi_attr {
	__u32 prog_fd, target_fd, attach_type, flags;
	__u64 path, offsets, ref_ctr_offsets, cookies;
	__u32 cnt, uprobe_flags, pid, pad;
	__u8 zero[64]; /* room the kernel checks is zero */
};

static int multi_link_fd(struct session *s, const char *path, const __u64 *offsets,
			 const __u64 *cookies, __u32 n, bool retprobe)
{
	struct uprobe_multi_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = bpf_program__fd(s->skel->progs.site_hit_multi);
	attr.attach_type = PP_TRACE_UPROBE_MULTI;
	attr.path = (__u64)(unsigned long)path;
	attr.offsets = (__u64)(unsigned long)offsets;
	attr.cookies = (__u64)(unsigned long)cookies;
	attr.cnt = n;
	attr.uprobe_flags = retprobe ? PP_F_UPROBE_MULTI_RETURN : 0;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* One uprobe_multi link for every probe of one file and direction. */
static int attach_group(struct session *s, const struct plan_attach *att, size_t n,
			const char *path, bool retprobe)
{
	__u64 *offsets = calloc(n, sizeof(*offsets)), *cookies = calloc(n, sizeof(*cookies));
	__u32 cnt = 0;
	int fd = 0;

	if (!offsets || !cookies) {
		fd = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (att[i].retprobe == retprobe && !strcmp(att[i].path, path)) {
			offsets[cnt] = att[i].offset;
			cookies[cnt++] = att[i].cookie;
		}
	if (cnt) {
		fd = multi_link_fd(s, path, offsets, cookies, cnt, retprobe);
		if (fd >= 0)
			fd = add_link_fd(s, fd);
	}
out:
	free(offsets);
	free(cookies);
	return fd < 0 ? fd : 0;
}

static bool first_of_group(const struct plan_attach *att, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (att[j].retprobe == att[i].retprobe && !strcmp(att[j].path, att[i].path))
			return false;
	return true;
}

int session__attach_uprobes(struct session *s, const struct plan_attach *att, size_t n,
			    size_t *failed)
{
	int err = 0;

	for (size_t i = 0; i < n && s->multi && !err; i++)
		if (first_of_group(att, i))
			err = attach_group(s, att, n, att[i].path, att[i].retprobe);
	if (s->multi && !err)
		return 0;
	if (s->multi) /* the kernel refused the whole group: say which probe it was, one by one */
		pr_debug("uprobe_multi attach failed (%s); one link per probe", strerror(-err));
	for (size_t i = 0; i < n; i++) {
		err = attach_one(s, &att[i]);
		if (err) {
			*failed = i;
			return err;
		}
	}
	return 0;
}

static int open_sampler(int cpu, unsigned hz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
		.sample_freq = hz,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int session__attach_sampling(struct session *s, unsigned hz)
{
	int ncpu = libbpf_num_possible_cpus();

	s->mm = mmaps__open(s->child);
	if (!s->mm)
		return -errno;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		int fd = open_sampler(cpu, hz), err;
		struct bpf_link *link;

		if (fd == -ENODEV)
			continue; /* possible, not online */
		if (fd < 0)
			return fd;
		link = bpf_program__attach_perf_event(s->dwarf ? s->skel->progs.on_sample_dwarf :
								 s->skel->progs.on_sample,
						      fd);
		if (!link) {
			err = -errno;
			close(fd);
			return err;
		}
		err = add_link(s, link);
		if (err)
			return err;
	}
	return 0;
}

int session__attach_fallback(struct session *s, uint64_t module_ino)
{
	int err;

	s->skel->bss->module_ino = module_ino;
	err = add_link(s, bpf_program__attach(s->skel->progs.fallback_enter));
	return err ?: add_link(s, bpf_program__attach(s->skel->progs.fallback_exit));
}

int session__seed_mark(struct session *s, uint32_t tid, int phase)
{
	struct pp_tstate st = { .depth = 1, .linger = -1, .seq = 1 };

	st.phase[0] = (__u8)phase;
	st.mark[0] = 1;
	return bpf_map__update_elem(s->skel->maps.tstate, &tid, sizeof(tid), &st, sizeof(st),
				    BPF_ANY);
}

void session__stack_maps(struct session *s, struct stack_maps *maps)
{
	maps->samples_fd = bpf_map__fd(s->skel->maps.samples);
	maps->stacks_fd = bpf_map__fd(s->skel->maps.stacks);
	maps->tstate_fd = bpf_map__fd(s->skel->maps.tstate);
	maps->samples_lost = s->skel->bss->samples_lost + s->skel->bss->stack_samples_lost;
	maps->root_tid = s->skel->bss->root_tid;
}

int session__start(struct session *s, char *const argv[])
{
	int exec_errno = 0, err = send_argv(s->go_fd, argv);
	ssize_t n;

	if (err)
		return err;
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
		mmaps__read(s->mm);
		err = ring_buffer__consume(s->rb);
		if (err < 0 && err != -EINTR)
			break;
		err = 0;
		r = wait4(s->child, &s->wait_status, WNOHANG, &s->rusage);
		if (r == s->child)
			s->exited = true;
		else if (r < 0 && errno != EINTR)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	/* the exit tracepoint ran before the parent could reap: all events are in */
	mmaps__read(s->mm); /* first: unwinding a stack sample needs the maps it saw */
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

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

static void *close_link_fd(void *fd)
{
	close((int)(long)fd);
	return NULL;
}

/* Run fn(arg[i]) for every i at once; where a thread cannot start, run it here. */
static void run_all_at_once(void *(*fn)(void *), void **args, size_t n)
{
	pthread_t *tids = calloc(n ? n : 1, sizeof(*tids));
	bool *started = calloc(n ? n : 1, sizeof(*started));
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (size_t i = 0; i < n; i++)
		started[i] = tids && started && !pthread_create(&tids[i], &attr, fn, args[i]);
	for (size_t i = 0; i < n; i++) {
		if (started && started[i])
			pthread_join(tids[i], NULL);
		else
			fn(args[i]);
	}
	pthread_attr_destroy(&attr);
	free(started);
	free(tids);
}

/*
 * Closing a uprobe link waits for an RCU-tasks grace period (about 50 to 130
 * ms here). Links closed at once share one where the kernel allows it.
 */
static void destroy_links(struct session *s)
{
	size_t n = s->nlinks + s->nlink_fds;
	void **args = calloc(n ? n : 1, sizeof(*args));

	if (!args) {
		for (size_t i = 0; i < s->nlink_fds; i++)
			close(s->link_fds[i]);
		for (size_t i = 0; i < s->nlinks; i++)
			bpf_link__destroy(s->links[i]);
		return;
	}
	for (size_t i = 0; i < s->nlink_fds; i++)
		args[i] = (void *)(long)s->link_fds[i];
	run_all_at_once(close_link_fd, args, s->nlink_fds);
	for (size_t i = 0; i < s->nlinks; i++)
		args[i] = s->links[i];
	run_all_at_once(destroy_link, args, s->nlinks);
	free(args);
}

void session__detach(struct session *s)
{
	destroy_links(s);
	free(s->link_fds);
	s->link_fds = NULL;
	s->nlink_fds = 0;
	free(s->links);
	s->links = NULL;
	s->nlinks = 0;
}

void session__drop_bpf(struct session *s)
{
	session__detach(s);
	ring_buffer__free(s->rb);
	s->rb = NULL;
	mmaps__free(s->mm);
	s->mm = NULL;
	phaseprof_bpf__destroy(s->skel);
	s->skel = NULL;
}

void session__close(struct session *s)
{
	if (s->go_fd >= 0)
		close(s->go_fd); /* a held child reads EOF and exits without exec */
	s->go_fd = -1;
	if (s->status_fd >= 0)
		close(s->status_fd);
	s->status_fd = -1;
	session__detach(s);
	/* failing half way: the probes are gone, the runtime finishes on its own */
	if (s->child > 0 && !s->exited) {
		while (waitpid(s->child, &s->wait_status, 0) < 0 && errno == EINTR)
			;
		s->exited = true;
	}
	session__drop_bpf(s);
	free(s->ev);
	s->ev = NULL;
}
