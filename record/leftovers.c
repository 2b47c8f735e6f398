// SPDX-License-Identifier: MIT
/* leftovers.c: clean up after killed runs, see leftovers.h */
#define _GNU_SOURCE
#define PR_DOMAIN "leftovers"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "leftovers.h"
#include "log.h"
#include "uprobe_events.h"

#define PERFMAPS "perfmaps"

static const char *run_dir(void)
{
	const char *env = getenv("PHASEPROF_RUN_DIR");

	return env && *env ? env : "/run/phaseprof";
}

/* The notes' directory, made if missing (root only: it lives in /run). */
static int notes_dir(bool create)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", run_dir(), PERFMAPS);
	if (create) {
		mkdir(run_dir(), 0755);
		mkdir(path, 0755);
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int leftovers__note_perfmap(pid_t pid)
{
	int dirfd = notes_dir(true), fd;
	char name[32];

	if (dirfd < 0) {
		pr_debug("cannot note the perf map of %d: %s", (int)pid, strerror(-dirfd));
		return dirfd;
	}
	snprintf(name, sizeof(name), "%d", (int)pid);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	close(dirfd);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

void leftovers__forget_perfmap(pid_t pid)
{
	int dirfd = notes_dir(false);
	char name[32];

	if (dirfd < 0)
		return;
	snprintf(name, sizeof(name), "%d", (int)pid);
	unlinkat(dirfd, name, 0);
	close(dirfd);
}

/*
 * Gone, or a zombie: a runtime killed with phaseprof is re-parented to init,
 * which may take its time to reap it (or never does, in some containers).
 */
static bool pid_dead(long pid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	if (kill((pid_t)pid, 0) && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold anything, the last ')' ends it */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* A pid's map, if it is a plain file (unlink never follows a symlink anyway). */
static void remove_map(long pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/tmp/perf-%ld.map", pid);
	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return;
	if (unlink(path))
		pr_warn("cannot remove %s, left by a killed run: %s", path, strerror(errno));
	else
		pr_note("removed %s, left by a killed run", path);
}

static void sweep_perfmaps(void)
{
	int dirfd = notes_dir(false);
	struct dirent *d;
	DIR *dir;

	if (dirfd < 0)
		return;
	dir = fdopendir(dirfd);
	if (!dir) {
		close(dirfd);
		return;
	}
	while ((d = readdir(dir))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || end == d->d_name || !pid_dead(pid))
			continue; /* not a note, or its runtime still runs */
		remove_map(pid);
		unlinkat(dirfd, d->d_name, 0);
	}
	closedir(dir);
}

/* The tracefs groups phaseprof_PID of dead pids. */
static void sweep_tracefs(const char *tracefs)
{
	struct uprobe_def *v = NULL;
	size_t n = 0;
	int last = 0;

	if (uprobe_events__list(tracefs, &v, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		int pid, err;
		char rest;

		if (sscanf(v[i].group, "phaseprof_%d%c", &pid, &rest) != 1 || !pid_dead(pid))
			continue;
		err = uprobe_events__remove(tracefs, v[i].group, v[i].event);
		if (err && err != -ENOENT)
			pr_warn("cannot delete uprobe event %s/%s, left by a killed run: %s",
				v[i].group, v[i].event, strerror(-err));
		else if (pid != last)
			pr_note("deleted the uprobe events of %s, left by a killed run", v[i].group);
		last = pid;
	}
	free(v);
}

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

/* Only where tracefs is mounted already: a run that needs no tracefs does not mount it. */
static void sweep_mounted_tracefs(void)
{
	const char *env = getenv("PHASEPROF_TRACEFS");
	const char *places[] = { env && *env ? env : "/sys/kernel/tracing",
				 "/sys/kernel/debug/tracing" };
	struct statfs st;

	for (size_t i = 0; i < 2; i++)
		if (!statfs(places[i], &st) && st.f_type == TRACEFS_MAGIC) {
			sweep_tracefs(places[i]);
			return;
		}
}

void leftovers__sweep(void)
{
	if (geteuid() != 0)
		return; /* the notes and tracefs are root's */
	sweep_perfmaps();
	sweep_mounted_tracefs();
}
