/* SPDX-License-Identifier: MIT */
/* suite_run.h: the runner's state, shared by suite_run.c and the drill-down (suite_drill.c). */
#ifndef PHASEPROF_SUITE_RUN_H
#define PHASEPROF_SUITE_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "suite_file.h"
#include "suite_store.h"

#define MAX_PASS 32

/* A runtime of -x: as given, an AOT variant (NAME:aot), or that variant's compile step. */
enum rt_kind { RT_PLAIN, RT_AOT, RT_AOT_COMPILE };
enum aot_compiler { AOT_WAMRC, AOT_WASMEDGEC };

struct rt {
	char spec[256];      /* as given to -x (without :aot) */
	char path[PATH_MAX]; /* where it was found (the compiler, for RT_AOT_COMPILE) */
	char label[64];
	enum rt_kind kind;
	enum aot_compiler compiler; /* RT_AOT, RT_AOT_COMPILE */
	size_t pair;		    /* RT_AOT: its compile step; RT_AOT_COMPILE: its variant */
	char out[PATH_MAX];	    /* RT_AOT_COMPILE: this case's compiled module, "" if none */
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
	const char *aot_compilers[MAX_PASS]; /* --aot-compiler PATH */
	size_t naot_compilers;
	bool no_aot_cache;
};

/* The option values compare and suite run share; each verb's own start at RUN_OPT_NEXT. */
enum {
	RUN_OPT_WARMUP = 256,
	RUN_OPT_DEBUGINFO,
	RUN_OPT_CALL_GRAPH,
	RUN_OPT_BACKEND,
	RUN_OPT_NEXT
};

/*
 * An option of the runner that compare and suite run both take: -x, -o, -F,
 * -n, --warmup, and --debuginfo, --call-graph, --backend passed on to each
 * record. 0 or an exit code (usage errors name verb); -1 when c is none of them.
 */
int suite_run_option(int c, struct run_opts *o, const char *verb);
/* Pass "opt [arg]" on to each record. 0 or PP_EXIT_USAGE. */
int suite_pass_on(struct run_opts *o, const char *verb, const char *opt, const char *arg);

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
/* FNV-1a, 64 bits, of what fd reads to its end; its length into *bytes. */
uint64_t suite_hash_fd(int fd, uint64_t *bytes);
/* One run of case c on r into runs/bN/CASE/LABEL/NAME, stored; its outcome into *outcome. */
int suite_one_run(struct runner *R, const struct suite_case *c, const struct rt *r, unsigned round,
		  bool *warned, int *outcome);

/* ---- AOT variants (suite_aot.c) ---- */

/* r->spec ends in ":aot": make r that variant and append its compile step at v[*n]. 0 or -E2BIG. */
int suite_aot_split(struct rt *v, size_t *n, size_t max, struct rt *r);
/*
 * The AOT compiler beside runtime rt_path (DIR/wasmedgec-llvm for DIR/wasmedge-llvm, the same
 * suffix, else DIR/wasmedgec; wamrc for iwasm): 0 with path set; -ENOENT when it is not there;
 * -EINVAL when the runtime has no :aot variant. *name: the compiler's name.
 */
int suite_aot_compiler_beside(const char *rt_path, char *path, size_t len, const char **name);
/* Each variant's compiler: an --aot-compiler of its family, else beside the runtime.
 * 0 or an exit code. */
int suite_aot_locate(struct runner *R);
/* Case c's compiled module for compile step r: from the cache, else compiled (a run of its own). */
int suite_aot_compile(struct runner *R, const struct suite_case *c, struct rt *r);
/* The words after record's `--` for r (an AOT variant or its compile step) into argv; how many. */
size_t suite_aot_argv(const struct runner *R, const struct suite_case *c, const struct rt *r,
		      char **argv);

/* --drill: differential flame graphs of the top K anomalies. 0 or -errno. */
int suite_drill(struct runner *R, const struct suite *s, int dirfd);

#endif /* PHASEPROF_SUITE_RUN_H */
