// SPDX-License-Identifier: MIT
/* backend.c: what every backend shares: the run loop, and refusing what one cannot do */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "backend.h"
#include "parallel.h"
#include "mmaps.h"

static int cannot(const struct backend *b, const char *what, char *why, size_t whylen)
{
	snprintf(why, whylen, "the %s backend cannot %s", b->ops->name, what);
	return -EOPNOTSUPP;
}

int backend__open(struct backend *b, const struct backend_ops *ops, struct target *t,
		  struct event_store *es, const struct backend_opts *o, char *why, size_t whylen)
{
	int err;

	memset(b, 0, sizeof(*b));
	b->ops = ops;
	b->target = t;
	b->events = es;
	err = ops->open(b, o, why, whylen);
	if (err)
		backend__close(b);
	return err;
}

int backend__attach_tracepoints(struct backend *b, char *why, size_t whylen)
{
	return b->ops->attach_tracepoints(b, why, whylen);
}

int backend__attach_uprobes(struct backend *b, const struct plan_attach *att, size_t n,
			    size_t *failed, char *why, size_t whylen)
{
	return b->ops->attach_uprobes(b, att, n, failed, why, whylen);
}

int backend__attach_sampling(struct backend *b, unsigned hz, char *why, size_t whylen)
{
	if (!b->ops->attach_sampling)
		return cannot(b, "sample stacks", why, whylen);
	return b->ops->attach_sampling(b, hz, why, whylen);
}

int backend__attach_fallback(struct backend *b, uint64_t module_ino, char *why, size_t whylen)
{
	if (!b->ops->attach_fallback)
		return cannot(b, "follow system calls for the generic fallback; it needs BPF", why,
			      whylen);
	return b->ops->attach_fallback(b, module_ino, why, whylen);
}

/* One round: signals forwarded, data waited for and drained, the target reaped if it exited. */
static int run_once(struct backend *b, int pidfd, int (*forward)(void))
{
	struct target *t = b->target;
	int sig = forward ? forward() : 0, err;

	if (sig)
		kill(t->pid, sig);
	b->ops->wait(b, pidfd);
	mmaps__read(t->mm); /* first: unwinding a stack sample needs the maps it saw */
	err = b->ops->drain(b);
	if (err < 0 && err != -EINTR)
		return err;
	err = target__reap(t, false);
	return err < 0 ? err : 0;
}

int backend__run(struct backend *b, int (*forward)(void))
{
	int pidfd = target__pidfd(b->target), err = 0, ferr;

	while (!b->target->exited && !err)
		err = run_once(b, pidfd, forward);
	if (pidfd >= 0)
		close(pidfd);
	/* the exit tracepoints ran before the parent could reap: everything is in */
	mmaps__read(b->target->mm);
	ferr = b->ops->finish(b);
	return err ?: ferr;
}

uint64_t backend__lost(struct backend *b)
{
	return b->ops ? b->ops->lost(b) : 0;
}

int backend__stacks(struct backend *b, const struct stack_agg *agg, stack_tuple_fn fn, void *ctx,
		    uint64_t *lost)
{
	*lost = 0;
	if (!b->ops->stacks)
		return -EOPNOTSUPP;
	return b->ops->stacks(b, agg, fn, ctx, lost);
}

int backend__attach_syscalls(struct backend *b, char *why, size_t whylen)
{
	if (!b->ops->attach_syscalls)
		return cannot(b, "count system calls (--syscalls)", why, whylen);
	return b->ops->attach_syscalls(b, why, whylen);
}

int backend__syscalls(struct backend *b, struct syscall_report *out)
{
	return b->ops->syscalls ? b->ops->syscalls(b, out) : -EOPNOTSUPP;
}

int backend__attach_offcpu(struct backend *b, char *why, size_t whylen)
{
	if (!b->ops->attach_offcpu)
		return cannot(b, "measure blocked time (--off-cpu)", why, whylen);
	return b->ops->attach_offcpu(b, why, whylen);
}

int backend__offcpu(struct backend *b, stack_tuple_fn fn, void *ctx, struct offcpu_report *out)
{
	return b->ops->offcpu ? b->ops->offcpu(b, fn, ctx, out) : -EOPNOTSUPP;
}

int backend__own_cost(struct backend *b, struct self_cost *c)
{
	return b->ops && b->ops->own_cost ? b->ops->own_cost(b, c) : -EOPNOTSUPP;
}

void backend__detach(struct backend *b)
{
	if (b->ops)
		b->ops->detach(b);
}

/* fd's /proc link names a kernel object (a BPF link, program or map, a perf event) */
static bool is_anon_inode(int fd)
{
	char path[32] = "/proc/self/fd/", target[16];
	char digits[12];
	int n = 0, len = strlen(path);

	do
		digits[n++] = '0' + fd % 10;
	while ((fd /= 10) && n < (int)sizeof(digits));
	while (n)
		path[len++] = digits[--n];
	path[len] = 0;
	n = readlink(path, target, sizeof(target));
	return n >= 11 && !memcmp(target, "anon_inode:", 11);
}

static int fd_of_name(const char *name)
{
	int fd = 0;

	for (; *name >= '0' && *name <= '9' && fd < (1 << 24); name++)
		fd = fd * 10 + (*name - '0');
	return *name ? -1 : fd;
}

/*
 * Close every descriptor but the standard ones and kernel objects: the open
 * ones, listed by the kernel (trying every number up to a limit is thousands
 * of system calls). getdents64, not readdir: no malloc in the keeper.
 */
static void close_files(int keep)
{
	char buf[4096] __attribute__((aligned(8)));
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;

	if (dir < 0) {
		for (int fd = 3; fd < 4096; fd++)
			if (fd != keep && !is_anon_inode(fd))
				close(fd);
		return;
	}
	while ((n = getdents64(dir, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *e = (const void *)(buf + off);
			int fd = fd_of_name(e->d_name);

			if (!e->d_reclen)
				break;
			off += e->d_reclen;
			if (fd > 2 && fd != dir && fd != keep && !is_anon_inode(fd))
				close(fd);
		}
	}
	close(dir);
}

/* Until the parent has exited (a minute at most, should it linger). */
static void wait_for_parent(pid_t parent)
{
	int pidfd = (int)syscall(SYS_pidfd_open, parent, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	if (pidfd >= 0 && getppid() == parent)
		poll(&pfd, 1, 60000);
	for (int i = 0; pidfd < 0 && i < 600 && getppid() == parent; i++)
		usleep(100000);
	if (pidfd >= 0)
		close(pidfd);
}

/*
 * The keeper: holds this process's links until phaseprof has exited, then
 * takes them down (and whatever the backend tidies) and exits. It is the
 * fork of a threaded process: glibc makes malloc and new threads usable in
 * such a child, which keeper_done() relies on; nothing else here allocates.
 */
static void keep_until_parent_exits(pid_t parent, struct backend *b)
{
	int null = open("/dev/null", O_RDWR);
	int keep = b->ops->keeper_fd ? b->ops->keeper_fd(b) : -1;

	/* whoever reads phaseprof's output sees its end when phaseprof exits */
	for (int fd = 0; fd < 3; fd++)
		if (null >= 0)
			dup2(null, fd);
	close_files(keep);
	wait_for_parent(parent);
	if (b->ops->keeper_done)
		b->ops->keeper_done(b);
	_exit(0);
}

void backend__set_stack_copy(struct backend *b, unsigned bytes)
{
	if (b->ops && b->ops->set_stack_copy)
		b->ops->set_stack_copy(b, bytes);
}

void backend__drain_often(struct backend *b, bool on)
{
	if (b->ops && b->ops->drain_often)
		b->ops->drain_often(b, on);
}

void backend__take_links(struct backend *b, const int *fds, size_t n)
{
	if (!b->ops || !b->ops->take_link) {
		close_at_once(fds, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		b->ops->take_link(b, fds[i]);
}

bool backend__goes_with_fds(struct backend *b)
{
	return b->ops && b->ops->goes_with_fds && b->ops->goes_with_fds(b);
}

int backend__detach_after_exit(struct backend *b)
{
	pid_t parent = getpid(), pid;

	if (!b->ops)
		return 0;
	if (!backend__goes_with_fds(b))
		return -EOPNOTSUPP;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		keep_until_parent_exits(parent, b);
	return 0;
}

void backend__close(struct backend *b)
{
	if (b->ops)
		b->ops->close(b);
	b->ops = NULL;
	b->priv = NULL;
}
