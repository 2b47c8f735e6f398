/* SPDX-License-Identifier: MIT */
/*
 * leftovers.h: what a run killed with SIGKILL leaves behind, removed by the
 * next run. A killed phaseprof cannot clean up, and its runtime dies with it
 * (PR_SET_PDEATHSIG), but two things outlive both: the perf maps the runtime
 * wrote because the profile asked it to (/tmp/perf-PID.map), and the tracefs
 * uprobe events of the perf backend (group phaseprof_PID). A run notes the
 * runtime's pid (perfmaps/) and its own (tracefs/) under PHASEPROF_RUN_DIR
 * (default /run/phaseprof) before it makes either and forgets them after
 * removing them; the next run's sweep removes what belongs to dead pids, and
 * says so.
 */
#ifndef PHASEPROF_LEFTOVERS_H
#define PHASEPROF_LEFTOVERS_H

#include <sys/types.h>

/* The runtime pid's perf map is ours to remove, even if this run is killed. 0 or -errno. */
int leftovers__note_perfmap(pid_t pid);
/* The perf map was removed (or never asked for): drop the note. */
void leftovers__forget_perfmap(pid_t pid);
/* The perf backend's tracefs group phaseprof_PID (pid: phaseprof's own) is ours to
 * remove, even if this run is killed; and it was removed. */
int leftovers__note_tracefs(pid_t pid);
void leftovers__forget_tracefs(pid_t pid);
/* Remove the perf maps and tracefs groups of dead runs, naming each on stderr. */
void leftovers__sweep(void);

#endif /* PHASEPROF_LEFTOVERS_H */
