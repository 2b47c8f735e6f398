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
	const char *verb;  /* before argv in the batch's command (default "phaseprof suite ") */
	bool show_reports; /* echo each record's stderr, its report included (compare -v) */
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
	size_t total, done, failed, ncases;
	struct timespec t0;
	bool tty;
};

/* Runtimes from "a,b,c" (at most 16), labelled by base name. 0, -E2BIG, -EINVAL or -ENOMEM. */
int suite_split_runtimes(char *arg, struct rt **out, size_t *n);
/* Every runtime found and an ELF executable, before the first run. 0 or an exit code. */
int suite_check_runtimes(struct runner *R);
/* R->o->output opened safely (made with its parents), its absolute name in R->dir. fd or -errno. */
int suite_open_output(struct runner *R);
/* One batch: its rows in R->st (open), then every case of s on every runtime. 0 or -errno. */
int suite_run_batch(struct runner *R, const struct suite *s, int dirfd, int argc, char **argv);
/* dirfd/a/b/..., each level made if missing and opened without following a link. fd or -errno. */
int suite_subdirs(int dirfd, const char *const *names, size_t n);
/* One `phaseprof record -F freq` of case c on r into dir (dirfd: its fd, for stdout and stderr),
 * stopped at the case's timeout. record's exit status, or -errno. */
int suite_record(const struct runner *R, const struct suite_case *c, const struct rt *r, int dirfd,
		 const char *dir, const char *freq, bool *timed_out);
/* --drill: differential flame graphs of the top K anomalies. 0 or -errno. */
int suite_drill(struct runner *R, const struct suite *s, int dirfd);

#endif /* PHASEPROF_SUITE_RUN_H */
