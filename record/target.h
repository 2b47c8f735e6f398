/* SPDX-License-Identifier: MIT */
/*
 * target.h: the runtime's process. Forked early and held before exec until
 * every probe is armed, then sent its command line, run as the invoking user,
 * reaped with its rusage. Its memory maps are followed while it runs so stack
 * samples can be named after it is gone. Knows nothing of how it is observed.
 */
#ifndef PHASEPROF_TARGET_H
#define PHASEPROF_TARGET_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

struct mmaps;

struct target {
	pid_t pid;     /* -1 before target__spawn() */
	int go_fd;     /* write end: the command line releases the child into exec */
	int status_fd; /* read end: the child's exec errno, or EOF when exec succeeded */
	bool started, exited;
	int wait_status;
	struct rusage rusage; /* the runtime's, and its reaped children's, from wait4() */
	struct mmaps *mm;     /* its memory maps, when followed */
};

void target__init(struct target *t);
/* Fork the runtime's process early; it waits for target__start(). 0 or -errno. */
int target__spawn(struct target *t);
/* Follow the held process's memory maps (and its descendants'). 0 or -errno. */
int target__follow_maps(struct target *t);
/* Send the child its command line and let it exec, unprivileged. 0, or -errno from a failed exec.
 */
int target__start(struct target *t, char *const argv[]);
/* Reap the runtime if it exited (wait says whether to block). 1 reaped, 0 running, or -errno. */
int target__reap(struct target *t, bool wait);
/* A pidfd that polls readable when the runtime exits, or -1 where there are none. */
int target__pidfd(const struct target *t);
/* Release a held child (it exits without exec), wait for a started one, free the maps. */
void target__close(struct target *t);

#endif /* PHASEPROF_TARGET_H */
