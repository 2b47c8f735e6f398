/* SPDX-License-Identifier: MIT */
/*
 * perf_backend.h: record without BPF. The plan's probes become uprobe events
 * in a private tracefs group (phaseprof_<pid>); they and the sched tracepoints
 * are opened with perf_event_open() on every CPU, read from perf ring
 * buffers, and decoded with libtraceevent from the events' format files into
 * the same struct pp_event stream the BPF half produces, so phases, reports
 * and phases.json are the same.
 *
 * exec/fork/exit follow the runtime's process tree (per-task events with
 * inherit, opened on the held child before exec); probes and sched_switch are
 * opened per CPU for every task, and kept for the tree's threads only. The runtime's
 * process and the event store are the struct session's, so session__spawn(),
 * session__start(), session__close() and the reporting code serve both
 * backends. Whatever happens, perf_session__close() closes every event and
 * deletes the private uprobe events (stale groups of dead phaseprof runs are
 * swept at open).
 */
#ifndef PHASEPROF_PERF_BACKEND_H
#define PHASEPROF_PERF_BACKEND_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "session.h"
#include "uprobe_events.h"

struct perf_stream; /* one perf event fd: what it is and what its samples mean */
struct perf_ring;   /* one mmap'd ring buffer per CPU */
struct perf_rec;    /* a decoded sample, before the process tree is known */

struct perf_session {
	struct session *s; /* the runtime's process, and where events end up (s->ev) */
	char tracefs[PATH_MAX];
	char group[UPROBE_NAME_LEN];
	size_t nuprobes; /* uprobe events e0.. made in group */
	struct perf_stream *streams;
	size_t nstreams;
	struct perf_ring *rings;
	int ncpu;
	size_t ring_bytes; /* data area per CPU, a power of two */
	struct tep_handle *tep;
	int tp_id[4]; /* sched_process_exec, _fork, _exit, sched_switch */
	bool exit_has_group_dead;
	struct perf_rec *recs;
	size_t nrecs, cap;
	bool oom;
	uint64_t lost;
};

/*
 * Find (or mount) tracefs, parse the sched tracepoints' formats, and make s a
 * fresh session with no BPF (session__spawn() is next). buffer_mb is shared
 * among the CPUs' ring buffers. 0, or -errno with why filled for the user.
 */
int perf_session__open(struct perf_session *p, struct session *s, unsigned buffer_mb, char *why,
		       size_t whylen);
/* Open the sched tracepoints: for the child's tree (exec, fork, exit) and per CPU (switch). */
int perf_session__attach_tracepoints(struct perf_session *p, char *why, size_t whylen);
/* Make and open one uprobe event per probe; on failure *failed is the probe that failed. */
int perf_session__attach_uprobes(struct perf_session *p, const struct plan_attach *att, size_t n,
				 size_t *failed, char *why, size_t whylen);
/* As session__run(): collect until the runtime exits, then turn the samples into s->ev. */
int perf_session__run(struct perf_session *p, int (*forward)(void));
uint64_t perf_session__lost(struct perf_session *p);
/* Close every perf event and delete the uprobe events; s itself stays for session__close(). */
void perf_session__close(struct perf_session *p);

#endif /* PHASEPROF_PERF_BACKEND_H */
