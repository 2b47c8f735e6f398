/* SPDX-License-Identifier: MIT */
/*
 * perf_ring.h: perf_event_open(2) and the ring buffer it maps, one way for
 * every user (the perf backend, memory-map following, the BPF sampler).
 */
#ifndef PHASEPROF_PERF_RING_H
#define PHASEPROF_PERF_RING_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/perf_event.h>

/* Open the event for pid (-1: every task) on cpu, close-on-exec. The fd, or -errno. */
int perf_event_fd(struct perf_event_attr *attr, pid_t pid, int cpu);

typedef void (*perf_record_fn)(void *ctx, const struct perf_event_header *h);

/*
 * Hand every whole record in a mapped ring (the metadata page at base, then
 * size bytes of data, a power of two) to fn, each copied out into an aligned
 * buffer (records wrap around the end), and give their room back.
 */
void perf_ring_drain(void *base, size_t page, size_t size, perf_record_fn fn, void *ctx);

#endif /* PHASEPROF_PERF_RING_H */
