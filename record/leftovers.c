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
#define GROUPS "tracefs"

static const char *run_dir(void)
{
	const char *env = getenv("PHASEPROF_RUN_DIR");

	return env && *env ? env : "/run/phaseprof";
}

/* A kind of notes' directory, made if missing (root only: it lives in /run). */
static int notes_dir(const char *kind, bool create)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", run_dir(), kind);
	if (create) {
		mkdir(run_dir(), 0755);
		mkdir(path, 0755);
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int note(const char *kind, pid_t pid)
{
	int dirfd = notes_dir(kind, true), fd;
	char name[32];

	if (dirfd < 0) {
		pr_debug("cannot note %s of %d: %s", kind, (int)pid, strerror(-dirfd));
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

static void forget(const char *kind, pid_t pid)
{
	int dirfd = notes_dir(kind, false);
	char name[32];

	if (dirfd < 0)
		return;
	snprintf(name, sizeof(name), "%d", (int)pid);
	unlinkat(dirfd, name, 0);
	close(dirfd);
}

int leftovers__note_perfmap(pid_t pid)
{
	return note(PERFMAPS, pid);
}

void leftovers__forget_perfmap(pid_t pid)
{
	forget(PERFMAPS, pid);
}

int leftovers__note_tracefs(pid_t pid)
{
	return note(GROUPS, pid);
}

void leftovers__forget_tracefs(pid_t pid)
{
	forget(GROUPS, pid);
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

/* clean(pid) for every note of kind whose pid is dead, and the note goes; how many. */
static unsigned sweep_notes(const char *kind, void (*clean)(long pid))
{
	int dirfd = notes_dir(kind, false);
	unsigned n = 0;
	struct dirent *d;
	DIR *dir;

	if (dirfd < 0)
		return 0;
	dir = fdopendir(dirfd);
	if (!dir) {
		close(dirfd);
		return 0;
	}
	while ((d = readdir(dir))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || end == d->d_name || !pid_dead(pid))
			continue; /* not a note, or its process still runs */
		if (clean)
			clean(pid);
		unlinkat(dirfd, d->d_name, 0);
		n++;
	}
	closedir(dir);
	return n;
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

/*
 * tracefs is read only when a killed run left a group: reading its probe
 * list waits for the tracing event lock, which a probe's removal anywhere on
 * the machine holds across grace periods (tens to hundreds of ms).
 */
void leftovers__sweep(void)
{
	if (geteuid() != 0)
		return; /* the notes and tracefs are root's */
	sweep_notes(PERFMAPS, remove_map);
	if (sweep_notes(GROUPS, NULL))
		sweep_mounted_tracefs();
}
