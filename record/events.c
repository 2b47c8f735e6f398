// SPDX-License-Identifier: MIT
/* events.c: the run's event store, see events.h */
#include <errno.h>
#include <stdlib.h>
#include "vec.h"
#include "events.h"

#define EVENTS_MIN 65536

int events__reserve(struct event_store *es, size_t extra)
{
	while (es->n + extra > es->cap) {
		struct pp_event *v = vec_grow(es->v, es->cap, &es->cap, sizeof(*v), EVENTS_MIN);

		if (!v) {
			es->oom = true;
			return -ENOMEM;
		}
		es->v = v;
	}
	return 0;
}

int events__push(struct event_store *es, const struct pp_event *e)
{
	int err = events__reserve(es, 1);

	if (!err)
		es->v[es->n++] = *e;
	return err;
}

void events__free(struct event_store *es)
{
	free(es->v);
	es->v = NULL;
	es->n = es->cap = 0;
}
