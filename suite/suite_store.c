// SPDX-License-Identifier: MIT
/*
 * suite_store.c: results.sqlite (see suite_store.h; schema in
 * man/phaseprof-suite.1). Everything goes through prepared statements with
 * bound values, never through SQL text built from data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "jsonread.h"
#include "options.h"
#include "profile.h"
#include "suite_store.h"
#include "vec.h"

static const char schema[] =
    "CREATE TABLE batch(id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT,"
    " host TEXT, kernel TEXT, cpu_model TEXT, phaseprof_version TEXT, suite TEXT,"
    " command TEXT, shard TEXT, runs INTEGER, warmup INTEGER);"
    "CREATE TABLE runtime(batch INTEGER NOT NULL REFERENCES batch(id), name TEXT NOT NULL,"
    " spec TEXT, path TEXT, profile TEXT, version TEXT, build_id TEXT,"
    " fallback INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(batch, name));"
    "CREATE TABLE suite_case(batch INTEGER NOT NULL REFERENCES batch(id), name TEXT NOT NULL,"
    " module TEXT, args TEXT, stdin TEXT, dir TEXT, expect_stdout TEXT, expect_hash TEXT,"
    " expect_exit INTEGER, timeout REAL, PRIMARY KEY(batch, name));"
    "CREATE TABLE run(id INTEGER PRIMARY KEY, batch INTEGER NOT NULL REFERENCES batch(id),"
    " case_name TEXT NOT NULL, runtime TEXT NOT NULL, round INTEGER NOT NULL,"
    " warmup INTEGER NOT NULL, outcome TEXT NOT NULL, record_status INTEGER,"
    " exit_status INTEGER, term_signal INTEGER, wall_ns INTEGER, cpu_ns INTEGER,"
    " user_ns INTEGER, system_ns INTEGER, stdout_hash TEXT, stdout_bytes INTEGER,"
    " stderr_first TEXT, fallback INTEGER NOT NULL DEFAULT 0, started TEXT, dir TEXT);"
    "CREATE INDEX run_case ON run(case_name, batch);"
    "CREATE TABLE phase(run INTEGER NOT NULL REFERENCES run(id), name TEXT NOT NULL,"
    " wall_ns INTEGER, cpu_ns INTEGER, measured INTEGER NOT NULL, PRIMARY KEY(run, name));"
    "CREATE TABLE probe(run INTEGER NOT NULL REFERENCES run(id), phase TEXT, site TEXT,"
    " hits INTEGER, status TEXT);"
    "PRAGMA user_version = " STRINGIFY(SUITE_SCHEMA_VERSION) ";";

static int db_err(struct store *st, char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return -EIO;
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return -EIO;
	*v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return *v < 0 ? -EIO : 0;
}

int store__open(const char *path, bool create, struct store *st, char *err, size_t errlen)
{
	/* reading needs no write access: results made under sudo stay readable by the user */
	int flags = SQLITE_OPEN_NOFOLLOW |
		    (create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
	int v;

	st->path = path;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store__close(st);
		return -EIO;
	}
	sqlite3_busy_timeout(st->db, 10000);
	if (user_version(st->db, &v)) {
		db_err(st, err, errlen, "not an SQLite database");
		store__close(st);
		return -EIO;
	}
	if (v == 0 && create && sqlite3_exec(st->db, schema, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (v == SUITE_SCHEMA_VERSION)
		return 0;
	snprintf(err, errlen, "%s: results schema version %d, this phaseprof reads version %d%s",
		 path, v, SUITE_SCHEMA_VERSION, v ? "" : " (an empty or foreign database)");
	store__close(st);
	return -EPROTO;
}

void store__close(struct store *st)
{
	if (st->db)
		sqlite3_close(st->db);
	st->db = NULL;
}

/* Bind values by type letters: i int64, t text (NULL binds NULL), d double, b bool. */
static int vbind(sqlite3_stmt *s, const char *types, va_list ap)
{
	int rc = SQLITE_OK;

	/* values past the statement's parameters are left out (merge_sql uses ?1 or both) */
	for (int i = 1; *types && rc == SQLITE_OK && i <= sqlite3_bind_parameter_count(s);
	     types++, i++) {
		const char *t;

		switch (*types) {
		case 'i':
			rc = sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'b':
			rc = sqlite3_bind_int(s, i, va_arg(ap, int) ? 1 : 0);
			break;
		case 'd':
			rc = sqlite3_bind_double(s, i, va_arg(ap, double));
			break;
		default:
			t = va_arg(ap, const char *);
			rc = t ? sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(s, i);
		}
	}
	return rc;
}

/* Run one statement with bound values. 0 or -EIO. */
static int exec(struct store *st, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return -EIO;
	va_start(ap, types);
	rc = vbind(s, types, ap);
	va_end(ap);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -EIO;
}

static void now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

void store__probe_env(struct store_env *e)
{
	struct utsname u;
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	e->host[0] = e->kernel[0] = e->cpu_model[0] = '\0';
	if (!uname(&u)) {
		snprintf(e->host, sizeof(e->host), "%s", u.nodename);
		snprintf(e->kernel, sizeof(e->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	}
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(e->cpu_model, sizeof(e->cpu_model), "%s", colon + 2);
			e->cpu_model[strcspn(e->cpu_model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
}

int store__begin_batch(struct store *st, const struct store_env *e, int64_t *batch)
{
	char now[32];
	int err;

	now_iso(now, sizeof(now));
	err = exec(st,
		   "INSERT INTO batch(started, host, kernel, cpu_model, phaseprof_version, suite,"
		   " command, shard, runs, warmup) VALUES(?,?,?,?,?,?,?,?,?,?)",
		   "ttttttttii", now, e->host, e->kernel, e->cpu_model, PHASEPROF_VERSION, e->suite,
		   e->command, e->shard, (int64_t)e->runs, (int64_t)e->warmup);
	*batch = sqlite3_last_insert_rowid(st->db);
	return err;
}

int store__end_batch(struct store *st, int64_t batch)
{
	char now[32];

	now_iso(now, sizeof(now));
	return exec(st, "UPDATE batch SET finished = ? WHERE id = ?", "ti", now, batch);
}

int store__transaction(struct store *st, bool begin)
{
	return sqlite3_exec(st->db, begin ? "BEGIN" : "COMMIT", NULL, NULL, NULL) == SQLITE_OK
		   ? 0
		   : -EIO;
}

static char *args_text(const struct suite_case *c)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < c->nargs; i++)
		len += strlen(c->args[i]) + 1;
	s = calloc(1, len);
	for (size_t i = 0; s && i < c->nargs; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, c->args[i]);
	}
	return s;
}

int store__add_case(struct store *st, int64_t batch, const struct suite_case *c,
		    uint64_t expect_hash, bool have_expect)
{
	char hash[17];
	char *args = args_text(c);
	int err;

	snprintf(hash, sizeof(hash), "%016" PRIx64, expect_hash);
	err = exec(st,
		   "INSERT INTO suite_case(batch, name, module, args, stdin, dir, expect_stdout,"
		   " expect_hash, expect_exit, timeout) VALUES(?,?,?,?,?,?,?,?,?,?)",
		   "itttttttid", batch, c->name, c->module, args, c->stdin_path, c->dir,
		   c->expect_path, have_expect ? hash : NULL, (int64_t)c->expect_exit, c->timeout);
	free(args);
	return err;
}

int store__add_runtime(struct store *st, int64_t batch, const char *name, const char *spec)
{
	return exec(st, "INSERT INTO runtime(batch, name, spec) VALUES(?,?,?)", "itt", batch, name,
		    spec);
}

/* Has the profile a resolved site for this phase? (startup and teardown: always) */
static bool phase_measured(const struct jr_node *doc, const struct jr_node *ph, const char *name)
{
	const struct jr_node *fb = jr_get(doc, "fallback"), *seen = jr_get(ph, "seen");

	/* the generic fallback says which phases it saw; a profile's are its probes' */
	if (fb && fb->type == JR_OBJECT)
		return seen && seen->type == JR_BOOL && seen->b;
	if (!strcmp(name, "startup") || !strcmp(name, "teardown"))
		return true;
	for (const struct jr_node *p = jr_get(doc, "probes") ? jr_get(doc, "probes")->child : NULL;
	     p; p = p->next)
		if (!strcmp(jr_str(jr_get(p, "phase")) ?: "", name) &&
		    strcmp(jr_str(jr_get(p, "status")) ?: "", "unresolved"))
			return true;
	return false;
}

static int add_phases(struct store *st, int64_t run, const struct jr_node *doc)
{
	const struct jr_node *phases = jr_get(doc, "phases"), *probes = jr_get(doc, "probes");
	int err = 0;

	for (const struct jr_node *p = phases ? phases->child : NULL; !err && p; p = p->next) {
		const char *name = jr_str(jr_get(p, "name"));

		if (name)
			err = exec(st, "INSERT OR REPLACE INTO phase VALUES(?,?,?,?,?)", "itiib",
				   run, name, (int64_t)jr_num(jr_get(p, "wall_ns"), 0),
				   (int64_t)jr_num(jr_get(p, "cpu_ns"), 0),
				   (int)phase_measured(doc, p, name));
	}
	for (const struct jr_node *p = probes ? probes->child : NULL; !err && p; p = p->next)
		err = exec(st, "INSERT INTO probe VALUES(?,?,?,?,?)", "ittit", run,
			   jr_str(jr_get(p, "phase")), jr_str(jr_get(p, "site")),
			   (int64_t)jr_num(jr_get(p, "hits"), 0), jr_str(jr_get(p, "status")));
	return err;
}

static bool used_fallback(const struct jr_node *doc)
{
	const struct jr_node *fb = jr_get(doc, "fallback");

	return fb && fb->type == JR_OBJECT;
}

/* The runtime's identity as record found it; the fallback flag sticks once set. */
static int note_runtime(struct store *st, int64_t batch, const char *name,
			const struct jr_node *doc)
{
	const struct jr_node *rt = jr_get(doc, "runtime");

	return exec(st,
		    "UPDATE runtime SET path = ?, profile = ?, version = ?, build_id = ?,"
		    " fallback = max(fallback, ?) WHERE batch = ? AND name = ?",
		    "ttttbit", jr_str(jr_get(rt, "path")), jr_str(jr_get(rt, "profile")),
		    jr_str(jr_get(rt, "version")), jr_str(jr_get(rt, "build_id")),
		    (int)used_fallback(doc), batch, name);
}

static const char *const outcome_names[] = { "ok", "failed", "timeout" };

int store__add_run(struct store *st, int64_t batch, const struct store_run *r)
{
	const struct jr_node *d = r->doc, *ru = jr_get(d, "rusage");
	char hash[17], now[32];
	int err;

	snprintf(hash, sizeof(hash), "%016" PRIx64, r->stdout_hash);
	now_iso(now, sizeof(now));
	err = exec(
	    st,
	    "INSERT INTO run(batch, case_name, runtime, round, warmup, outcome, record_status,"
	    " exit_status, term_signal, wall_ns, cpu_ns, user_ns, system_ns, stdout_hash,"
	    " stdout_bytes, stderr_first, fallback, started, dir)"
	    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    "ittibtiiiiiiititbtt", batch, r->case_name, r->runtime, (int64_t)r->round,
	    (int)r->warmup, outcome_names[r->outcome], (int64_t)r->record_status,
	    (int64_t)jr_num(jr_get(d, "exit_status"), -1),
	    (int64_t)jr_num(jr_get(d, "term_signal"), 0), (int64_t)jr_num(jr_get(d, "wall_ns"), 0),
	    (int64_t)jr_num(jr_get(d, "cpu_ns"), 0), (int64_t)jr_num(jr_get(ru, "user_ns"), 0),
	    (int64_t)jr_num(jr_get(ru, "system_ns"), 0), hash, (int64_t)r->stdout_bytes,
	    r->stderr_first, (int)used_fallback(d), now, r->dir);
	if (err || !d)
		return err;
	return add_phases(st, sqlite3_last_insert_rowid(st->db), d)
		   ?: note_runtime(st, batch, r->runtime, d);
}

/* The shards' batches after ours, every id moved past our largest. */
static const char *const merge_sql[] = {
	"INSERT INTO main.batch SELECT id + ?1, started, finished, host, kernel, cpu_model,"
	" phaseprof_version, suite, command, shard, runs, warmup FROM src.batch",
	"INSERT INTO main.runtime SELECT batch + ?1, name, spec, path, profile, version, build_id,"
	" fallback FROM src.runtime",
	"INSERT INTO main.suite_case SELECT batch + ?1, name, module, args, stdin, dir, "
	"expect_stdout,"
	" expect_hash, expect_exit, timeout FROM src.suite_case",
	"INSERT INTO main.run SELECT id + ?2, batch + ?1, case_name, runtime, round, warmup, "
	"outcome,"
	" record_status, exit_status, term_signal, wall_ns, cpu_ns, user_ns, system_ns, "
	"stdout_hash,"
	" stdout_bytes, stderr_first, fallback, started, dir FROM src.run ORDER BY id",
	"INSERT INTO main.phase SELECT run + ?2, name, wall_ns, cpu_ns, measured FROM src.phase",
	"INSERT INTO main.probe SELECT run + ?2, phase, site, hits, status FROM src.probe",
};

static int64_t max_id(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int store__merge(struct store *st, const char *path, char *err, size_t errlen)
{
	struct store src = { 0 };
	int64_t boff, roff;
	int ret = store__open(path, false, &src, err, errlen);

	if (ret)
		return ret;
	store__close(&src);
	if (exec(st, "ATTACH DATABASE ? AS src", "t", path))
		return db_err(st, err, errlen, "cannot attach");
	ret = store__transaction(st, true);
	boff = max_id(st, "SELECT COALESCE(max(id), 0) FROM main.batch");
	roff = max_id(st, "SELECT COALESCE(max(id), 0) FROM main.run");
	for (size_t i = 0; !ret && i < sizeof(merge_sql) / sizeof(merge_sql[0]); i++)
		ret = exec(st, merge_sql[i], "ii", boff, roff);
	if (!ret)
		ret = store__transaction(st, false);
	if (ret) {
		db_err(st, err, errlen, path);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_exec(st->db, "DETACH DATABASE src", NULL, NULL, NULL);
	return ret;
}

/* ---- reading back ---- */

#define SELECTED                                                                   \
	"WITH sel AS (SELECT * FROM run r WHERE r.warmup = 0 AND (?1 OR r.batch =" \
	" (SELECT max(batch) FROM run r2 WHERE r2.case_name = r.case_name))) "

const char *suite__stat_name(int ph)
{
	return ph == SUITE_PHASE_RUN ? "run" : phase__name(ph);
}

static ssize_t intern(char ***v, size_t *n, const char *s)
{
	char **nv;

	for (size_t i = *n; i-- > 0;)
		if (!strcmp((*v)[i], s))
			return (ssize_t)i;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv || !(nv[*n] = strdup(s)))
		return *v = nv ? nv : *v, -1;
	*v = nv;
	return (ssize_t)(*n)++;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? strdup((const char *)t) : NULL;
}

static int read_run(sqlite3_stmt *s, struct sdata *d, char ***cases, size_t *ncases)
{
	struct srun *r = &d->runs[d->nruns];
	const char *outcome = (const char *)sqlite3_column_text(s, 4) ?: "failed";
	ssize_t c = intern(cases, ncases, (const char *)sqlite3_column_text(s, 2) ?: "");
	ssize_t rt = intern(&d->rts, &d->nrts, (const char *)sqlite3_column_text(s, 3) ?: "");

	if (c < 0 || rt < 0)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->batch = sqlite3_column_int64(s, 1);
	r->c = (uint32_t)c;
	r->r = (uint32_t)rt;
	r->outcome = !strcmp(outcome, "ok")	   ? RUN_OK
		     : !strcmp(outcome, "timeout") ? RUN_TIMEOUT
						   : RUN_FAILED;
	r->record_status = sqlite3_column_int(s, 5);
	r->exit_status = sqlite3_column_int(s, 6);
	r->fallback = sqlite3_column_int(s, 7);
	r->stdout_hash = strtoull((const char *)sqlite3_column_text(s, 8) ?: "0", NULL, 16);
	r->stdout_bytes = sqlite3_column_int64(s, 9);
	r->stderr_first = col_dup(s, 10);
	r->dir = col_dup(s, 11);
	r->wall_ms[SUITE_PHASE_RUN] = sqlite3_column_int64(s, 12) / 1e6;
	r->cpu_ms[SUITE_PHASE_RUN] = sqlite3_column_int64(s, 13) / 1e6;
	r->measured[SUITE_PHASE_RUN] = r->outcome == RUN_OK;
	d->nruns++;
	return 0;
}

static sqlite3_stmt *select_all(struct store *st, const char *sql, bool all)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int(s, 1, all);
	return s;
}

static int load_runs(struct store *st, bool all, struct sdata *d, char ***cases, size_t *ncases)
{
	sqlite3_stmt *s = select_all(
	    st,
	    SELECTED
	    "SELECT id, batch, case_name, runtime, outcome, record_status, exit_status, fallback,"
	    " stdout_hash, stdout_bytes, stderr_first, dir, wall_ns, cpu_ns FROM sel ORDER BY id",
	    all);
	size_t cap = 0;
	int rc, err = 0;

	if (!s)
		return -EIO;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct srun *v = vec_grow(d->runs, d->nruns, &cap, sizeof(*v), 256);

		if (!v) {
			err = -ENOMEM;
			break;
		}
		d->runs = v;
		err = read_run(s, d, cases, ncases);
	}
	sqlite3_finalize(s);
	return err ?: rc == SQLITE_DONE ? 0 : -EIO;
}

/* Phases, in run order: a merge walk along d->runs (sorted by id). */
static int load_phases(struct store *st, bool all, struct sdata *d)
{
	sqlite3_stmt *s =
	    select_all(st,
		       SELECTED "SELECT p.run, p.name, p.wall_ns, p.cpu_ns, p.measured FROM phase p"
				" JOIN sel ON sel.id = p.run ORDER BY p.run",
		       all);
	size_t k = 0;
	int rc;

	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		int ph = phase__from_name((const char *)sqlite3_column_text(s, 1) ?: "");

		while (k < d->nruns && d->runs[k].id < id)
			k++;
		if (k == d->nruns || d->runs[k].id != id || ph < 0 || ph >= PP_PHASE_COUNT)
			continue;
		d->runs[k].wall_ms[ph] = sqlite3_column_int64(s, 2) / 1e6;
		d->runs[k].cpu_ms[ph] = sqlite3_column_int64(s, 3) / 1e6;
		d->runs[k].measured[ph] = sqlite3_column_int(s, 4) && d->runs[k].outcome == RUN_OK;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* What each case expects, from the newest batch that describes it. */
static int load_cases(struct store *st, struct sdata *d, char **names, size_t n)
{
	sqlite3_stmt *s;
	int rc;

	d->cases = calloc(n + 1, sizeof(*d->cases));
	if (!d->cases)
		return -ENOMEM;
	d->ncases = n;
	for (size_t i = 0; i < n; i++) {
		d->cases[i].name = names[i];
		d->cases[i].expect_exit = -1;
	}
	if (sqlite3_prepare_v2(st->db,
			       "SELECT name, expect_hash, expect_exit, timeout"
			       " FROM suite_case ORDER BY batch",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0) ?: "";
		const char *hash = (const char *)sqlite3_column_text(s, 1);

		for (size_t i = 0; i < n; i++)
			if (!strcmp(d->cases[i].name, name)) {
				d->cases[i].have_expect = hash != NULL;
				d->cases[i].expect_hash = hash ? strtoull(hash, NULL, 16) : 0;
				d->cases[i].expect_exit = sqlite3_column_int(s, 2);
				d->cases[i].timeout = sqlite3_column_double(s, 3);
			}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int store__load(struct store *st, bool all, struct sdata *d, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = load_runs(st, all, d, &names, &n) ?: load_phases(st, all, d);
	if (!ret)
		ret = load_cases(st, d, names, n);
	else {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
	}
	free(names);
	if (ret == -EIO)
		db_err(st, err, errlen, "cannot read the runs");
	else if (ret)
		snprintf(err, errlen, "%s: %s", st->path, strerror(-ret));
	return ret;
}

void sdata__free(struct sdata *d)
{
	for (size_t i = 0; i < d->nruns; i++) {
		free(d->runs[i].stderr_first);
		free(d->runs[i].dir);
	}
	for (size_t i = 0; i < d->ncases; i++)
		free(d->cases[i].name);
	for (size_t i = 0; i < d->nrts; i++)
		free(d->rts[i]);
	free(d->runs);
	free(d->cases);
	free(d->rts);
	memset(d, 0, sizeof(*d));
}
