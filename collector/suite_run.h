/* SPDX-License-Identifier: MIT */
/* suite_run.h: the runner's state, shared by suite_run.c and the drill-down (suite_drill.c). */
#ifndef PHASEPROF_SUITE_RUN_H
#define PHASEPROF_SUITE_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <time.h>
#include "suite_file.h"
#include "suite_store.h"

#define MAX_PASS 32

struct rt {
	char spec[256];      /* as given to -x */
	char path[PATH_MAX]; /* where it was found */
	char label[64];
};

struct run_opts {
	char *runtimes_arg;
	unsigned runs, warmup, shard_k, shard_n;
	const char *output, *suite, *freq;
	unsigned drill; /* --drill K: re-run the top K anomalies with stacks */
	const char *pass[MAX_PASS];
	size_t npass;
};

/* The runner's state through the batch. */
struct runner {
	const struct run_opts *o;
	struct rt *rts;
	size_t nrts;
	struct store st;
	int64_t batch;
	char dir[PATH_MAX]; /* DIR, absolute */
	int batchfd;	    /* DIR/runs/bN */
	size_t total, done, failed;
	struct timespec t0;
	bool tty;
};

/* dirfd/a/b/..., each level made if missing and opened without following a link. fd or -errno. */
int suite_subdirs(int dirfd, const char *const *names, size_t n);
/* One `phaseprof record -F freq` of case c on r into dir (dirfd: its fd, for stdout and stderr),
 * stopped at the case's timeout. record's exit status, or -errno. */
int suite_record(const struct runner *R, const struct suite_case *c, const struct rt *r, int dirfd,
		 const char *dir, const char *freq, bool *timed_out);
/* --drill: differential flame graphs of the top K anomalies. 0 or -errno. */
int suite_drill(struct runner *R, const struct suite *s, int dirfd);

#endif /* PHASEPROF_SUITE_RUN_H */
