/* SPDX-License-Identifier: MIT */
/*
 * uprobe_events.h: named uprobe events defined through tracefs (the
 * uprobe_events file, as `perf probe` makes them): list, add, remove, and the
 * id perf_event_open() needs. Definitions are `p:GROUP/EVENT PATH:0xOFFSET`
 * (entry) and `r:GROUP/EVENT PATH:0xOFFSET` (return).
 */
#ifndef PHASEPROF_UPROBE_EVENTS_H
#define PHASEPROF_UPROBE_EVENTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* tracefs limits event and group names to 64 bytes with the NUL */
#define UPROBE_NAME_LEN 64

struct uprobe_def {
	char group[UPROBE_NAME_LEN];
	char event[UPROBE_NAME_LEN];
	bool retprobe;
	char path[PATH_MAX];
	uint64_t offset;
};

/* Every uprobe event defined now (malloc'd array, free() it). 0 or -errno. */
int uprobe_events__list(const char *tracefs, struct uprobe_def **out, size_t *n);
/* The definition of GROUP/EVENT in v, or NULL. */
const struct uprobe_def *uprobe_events__find(const struct uprobe_def *v, size_t n,
					     const char *group, const char *event);
/* Whether tracefs can take path as is: absolute, [A-Za-z0-9/._+@,~=-] only. */
bool uprobe_path__safe(const char *path);
/* Define one event (read back and compared; removed again if tracefs holds something else). 0, or -errno with why filled (the kernel's error_log line when it has one). */
int uprobe_events__add(const char *tracefs, const struct uprobe_def *d, char *why, size_t whylen);
/* Delete GROUP/EVENT; -EBUSY while a perf event or perf record uses it, -ENOENT when absent. */
int uprobe_events__remove(const char *tracefs, const char *group, const char *event);
/* The event's id (for perf_event_attr.config), or -errno. */
int uprobe_events__id(const char *tracefs, const char *group, const char *event);
/* Whether two definitions place the same probe (kind, file and offset). */
bool uprobe_def__same(const struct uprobe_def *a, const struct uprobe_def *b);
/* Make s a valid event or group name in place: [A-Za-z0-9_], not starting with a digit. */
void uprobe_name__sanitize(char *s);

#endif /* PHASEPROF_UPROBE_EVENTS_H */
