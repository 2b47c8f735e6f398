/* SPDX-License-Identifier: MIT */
/*
 * timeline.h: when things happened. From each thread's phase intervals (the
 * phase model's) it writes DIR/trace.json in the Chrome trace event format
 * (Perfetto UI and chrome://tracing open it) and DIR/timeline.svg, one row
 * per thread in the flame graph's phase colours. See phaseprof-outputs(5).
 */
#ifndef PHASEPROF_TIMELINE_H
#define PHASEPROF_TIMELINE_H

#include <stddef.h>
#include <stdio.h>
#include "phases.h"
#include "plan.h"

/* Probe hits written as instant events at most; the rest are counted. */
#define TIMELINE_MAX_INSTANTS 10000

struct timeline_input {
	const struct run_stats *st;
	const struct plan *plan;   /* names the probe sites of PP_EV_SITE events */
	const struct pp_event *ev; /* the run's events, or NULL */
	size_t nev;
	const char *title; /* the runtime's name */
};

/* 0 or -EIO */
int timeline__trace_json(FILE *f, const struct timeline_input *in);
int timeline__svg(FILE *f, const struct timeline_input *in);

#endif /* PHASEPROF_TIMELINE_H */
