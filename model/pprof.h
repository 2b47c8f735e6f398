/* SPDX-License-Identifier: MIT */
/*
 * pprof.h: the stack samples as a pprof profile (DIR/profile.pb.gz), for the
 * systems fleets already run (pprof, Pyroscope, Parca, Grafana). Filled while
 * stacks.c folds the samples, from the same counts, so per phase its totals
 * equal stacks.folded's. Samples carry labels phase, thread (the thread's
 * name), process and pid; locations keep their addresses and mappings their
 * files' build-ids. See proto/profile.proto and phaseprof-outputs(5).
 */
#ifndef PHASEPROF_PPROF_H
#define PHASEPROF_PPROF_H

#include <stdint.h>
#include <stdio.h>
#include "mmaps.h"
#include "stacks.h"
#include "symbolize.h"

struct pprof;

/* A profile of samples taken hz times a second, over the run from start_ts
 * (CLOCK_MONOTONIC) for wall_ns; mm and z name the frames and must outlive
 * the adds. NULL with errno set. */
struct pprof *pprof__new(const struct mmaps *mm, struct symbolizer *z, unsigned hz,
			 uint64_t start_ts, uint64_t wall_ns, const char *runtime);
/* A stack_tuple_fn (stacks.h): add one distinct stack and its count. 0 or -ENOMEM.
 * process names the tuple's process (NULL: the thread's name). */
int pprof__add(struct pprof *p, const struct stack_tuple *t, const char *process);
/* Write the gzip'd serialized profile. 0, -ENOMEM or -EIO. */
int pprof__write(struct pprof *p, FILE *f);
void pprof__free(struct pprof *p);

#endif /* PHASEPROF_PPROF_H */
