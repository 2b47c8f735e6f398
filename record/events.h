/* SPDX-License-Identifier: MIT */
/*
 * events.h: the events of one run, in arrival order, as every backend
 * delivers them (struct pp_event) and the phase model reads them.
 */
#ifndef PHASEPROF_EVENTS_H
#define PHASEPROF_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "phaseprof.h"

struct event_store {
	struct pp_event *v;
	size_t n, cap;
	bool oom; /* an event found no memory: the run's events are incomplete */
};

/* Append a copy of e. 0 or -ENOMEM (and oom set). */
int events__push(struct event_store *es, const struct pp_event *e);
/* Room for extra more events past n. 0 or -ENOMEM. */
int events__reserve(struct event_store *es, size_t extra);
void events__free(struct event_store *es);

#endif /* PHASEPROF_EVENTS_H */
