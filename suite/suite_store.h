/* SPDX-License-Identifier: MIT */
/*
 * suite_store.h: DIR/results.sqlite of `phaseprof suite`: one row per run,
 * in batches, with the environment that produced them. The schema (versioned
 * by PRAGMA user_version) is documented in man/phaseprof-suite.1.
 */
#ifndef PHASEPROF_SUITE_STORE_H
#define PHASEPROF_SUITE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#include "phaseprof.h"
#include "suite_file.h"

#define SUITE_SCHEMA_VERSION 1
#define SUITE_PHASE_RUN PP_PHASE_COUNT /* the whole run, as one more phase */
#define SUITE_NSTAT (PP_PHASE_COUNT + 1)

struct sqlite3;
struct jr_node;

struct store {
	struct sqlite3 *db;
	const char *path;
};

/* What a batch ran on and with. */
struct store_env {
	char host[256], kernel[256], cpu_model[256];
	const char *suite, *command, *shard;
	unsigned runs, warmup;
};

enum run_outcome { RUN_OK, RUN_FAILED, RUN_TIMEOUT };

/* One run as the runner saw it; its phases come from record's phases.json (doc). */
/*
 * An AOT variant NAME:aot has a runtime of its own, NAME:aot-compile, whose
 * runs are the compiler's: their output is the compiler's, not the case's.
 */
#define SUITE_AOT_COMPILE_SUFFIX ":aot-compile"

static inline bool suite_is_compile_runtime(const char *name)
{
	size_t n = strlen(name), k = sizeof(SUITE_AOT_COMPILE_SUFFIX) - 1;

	return n > k && !strcmp(name + n - k, SUITE_AOT_COMPILE_SUFFIX);
}

struct store_run {
	const char *case_name, *runtime, *dir;
	unsigned round;
	bool warmup;
	enum run_outcome outcome;
	int record_status;
	uint64_t stdout_hash, stdout_bytes;
	const char *stderr_first;  /* the first line the runtime wrote to stderr */
	const struct jr_node *doc; /* phases.json, or NULL when record wrote none */
};

/* Open the store at path, never through a symlink: read-write, made when missing, when create;
 * else read-only. 0 or -errno, err set. */
int store__open(const char *path, bool create, struct store *st, char *err, size_t errlen);
void store__close(struct store *st);
/* The host's name, kernel and CPU model into e. */
void store__probe_env(struct store_env *e);
int store__begin_batch(struct store *st, const struct store_env *e, int64_t *batch);
int store__end_batch(struct store *st, int64_t batch);
int store__add_case(struct store *st, int64_t batch, const struct suite_case *c,
		    uint64_t expect_hash, bool have_expect);
int store__add_runtime(struct store *st, int64_t batch, const char *name, const char *spec);
/* Insert a run (its phases and probe hits); the runtime's version, build-id, profile noted. */
int store__add_run(struct store *st, int64_t batch, const struct store_run *r);
int store__transaction(struct store *st, bool begin);
/* Copy every batch of the store at path into st (ids renumbered). 0 or -errno, err set. */
int store__merge(struct store *st, const char *path, char *err, size_t errlen);

/* ---- reading back, for report and gate ---- */

struct srun {
	uint32_t c, r; /* indexes into sdata cases, runtimes */
	int64_t id, batch;
	enum run_outcome outcome;
	int record_status, exit_status;
	bool fallback;
	uint64_t stdout_hash, stdout_bytes;
	char *stderr_first;
	char *dir;
	double wall_ms[SUITE_NSTAT], cpu_ms[SUITE_NSTAT];
	bool measured[SUITE_NSTAT];
};

struct scase {
	char *name;
	bool have_expect;
	uint64_t expect_hash;
	int expect_exit;
	double timeout;
};

struct sdata {
	struct scase *cases;
	size_t ncases;
	char **rts;
	size_t nrts;
	struct srun *runs;
	size_t nruns;
};

/* The measured runs: of each case, those of the newest batch that ran it (all when all). */
int store__load(struct store *st, bool all, struct sdata *d, char *err, size_t errlen);
void sdata__free(struct sdata *d);
const char *suite__stat_name(int ph);

#endif /* PHASEPROF_SUITE_STORE_H */
