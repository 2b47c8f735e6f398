// SPDX-License-Identifier: MIT
/* target.c: the runtime's process, see target.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mmaps.h"
#include "runtime.h"
#include "target.h"

void target__init(struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = -1;
	t->go_fd = t->status_fd = -1;
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
int target__spawn(struct target *t)
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
	t->pid = fork();
	if (t->pid < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		close(status[0]);
		close(status[1]);
		return err;
	}
	if (t->pid == 0) {
		close(go[1]);
		close(status[0]);
		child_exec(go[0], status[1], parent);
	}
	close(go[0]);
	close(status[1]);
	t->go_fd = go[1];
	t->status_fd = status[0];
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

int target__start(struct target *t, char *const argv[])
{
	int exec_errno = 0, err = send_argv(t->go_fd, argv);
	ssize_t n;

	if (err)
		return err;
	close(t->go_fd);
	t->go_fd = -1;
	/* EOF: the status pipe closed on exec, which succeeded */
	n = read(t->status_fd, &exec_errno, sizeof(exec_errno));
	close(t->status_fd);
	t->status_fd = -1;
	if (n == sizeof(exec_errno)) {
		target__reap(t, true);
		return -exec_errno;
	}
	t->started = true;
	return 0;
}

int target__follow_maps(struct target *t)
{
	t->mm = mmaps__open(t->pid);
	return t->mm ? 0 : -errno;
}

int target__reap(struct target *t, bool wait)
{
	pid_t r;

	if (t->exited)
		return 1;
	do
		r = wait4(t->pid, &t->wait_status, wait ? 0 : WNOHANG, &t->rusage);
	while (r < 0 && errno == EINTR && wait);
	if (r == t->pid) {
		t->exited = true;
		return 1;
	}
	return r < 0 && errno != EINTR ? -errno : 0;
}

int target__pidfd(const struct target *t)
{
	return (int)syscall(SYS_pidfd_open, t->pid, 0);
}

void target__close(struct target *t)
{
	if (t->go_fd >= 0)
		close(t->go_fd); /* a held child reads EOF and exits without exec */
	t->go_fd = -1;
	if (t->status_fd >= 0)
		close(t->status_fd);
	t->status_fd = -1;
	/* failing half way: the probes are gone, the runtime finishes on its own */
	if (t->pid > 0)
		target__reap(t, true);
	mmaps__free(t->mm);
	t->mm = NULL;
}
