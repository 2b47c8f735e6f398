// SPDX-License-Identifier: MIT
/*
 * cmd_compare.c: `phaseprof compare`: the differential method of WarpDiff
 * (ASE 2023) for one app. The app is a suite of one case: the suite runner
 * (suite_run.c) runs it on every runtime N times, interleaved, each run
 * through `phaseprof record`, into DIR/results.sqlite; the suite analysis
 * (suite_analysis.c) gives the medians, spreads, exclusions and, per runtime
 * and phase, the ratio to the other runtimes' mean and a score in units of
 * the runs' own spread. Here: the options, the table, compare.json and
 * compare.csv, and diff flame graphs against the fastest runtime.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PR_DOMAIN "compare"
#include "cmdutil.h"
#include "commands.h"
#include "exitcodes.h"
#include "fileread.h"
#include "flamegraph.h"
#include "json.h"
#include "jsonread.h"
#include "log.h"
#include "options.h"
#include "outfile.h"
#include "suite_analysis.h"
#include "suite_run.h"
#include "suite_store.h"

#define DEFAULT_RUNS 5
#define DEFAULT_WARMUP 1
#define NO_TIMEOUT 1e7 /* seconds: compare waits for the app however long it takes */
#define TABLE_COLS 7   /* the anomalies' */
#define TABLE_MAX_COLS 24
#define TABLE_CELL 96

enum {
	OPT_WARMUP = RUN_OPT_WARMUP,
	OPT_DEBUGINFO = RUN_OPT_DEBUGINFO,
	OPT_CALL_GRAPH = RUN_OPT_CALL_GRAPH,
	OPT_BACKEND = RUN_OPT_BACKEND,
	OPT_KEEP_CACHE = RUN_OPT_NEXT,
	OPT_OPTION,
	OPT_CPU,
	OPT_GENERIC
};

const struct opt_doc compare_options[] = {
	{ "runtimes", 'x', "RT1,RT2,...", "the runtimes to compare: names on PATH or paths" },
	{ "runs", 'n', "N", "measured runs per runtime (default " STRINGIFY(DEFAULT_RUNS) ")" },
	{ "warmup", OPT_WARMUP, "K",
	  "unmeasured runs per runtime first (default " STRINGIFY(DEFAULT_WARMUP) ")" },
	{ "output", 'o', "DIR",
	  "write compare.json, compare.csv, results.sqlite and each run there (default: a temp "
	  "dir)" },
	{ "cpu", OPT_CPU, NULL, "compare CPU time instead of wall time" },
	{ "freq", 'F', "HZ", "passed to record: sample stacks HZ times a second (0: no stacks)" },
	{ "call-graph", OPT_CALL_GRAPH, "MODE", "passed to record: how stacks are unwound" },
	{ "backend", OPT_BACKEND, "NAME", "passed to record: bpf, perf or auto" },
	{ "generic", OPT_GENERIC, NULL, "passed to record: use the generic fallback" },
	{ "keep-cache", OPT_KEEP_CACHE, NULL,
	  "leave runtimes' compilation caches on (passed to record)" },
	{ "option", OPT_OPTION, "NAME=on|off",
	  "set a profile option in every runtime that has it (passed to record)" },
	{ "debuginfo", OPT_DEBUGINFO, "DIR",
	  "look for debug files in DIR first (passed to record)" },
	{ "verbose", 'v', NULL, "say more; show each record's report" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char compare_usage[] =
    "usage: phaseprof compare -x RT1,RT2,... [options] -- APP.wasm [ARGS...]\n"
    "\n"
    "Run APP on each runtime N times, interleaved, under `phaseprof record`\n"
    "(a suite of one case, see phaseprof-suite(1)); report per runtime and phase\n"
    "the median, min, max and spread; leave out of the ranking a runtime that\n"
    "failed or printed another stdout or exit status; rank the phases in which a\n"
    "runtime is slower than the mean of the others beyond the noise of the runs.\n";

static const char compare_examples[] =
    "examples:\n"
    "  sudo phaseprof compare -x wasmtime,wasmer,iwasm,wasm3 -- app.wasm\n"
    "  sudo phaseprof compare -x node,wasm3,iwasm,iwasm:aot -n 10 --warmup 2 -o out -- app.wasm\n"
    "  sudo phaseprof compare -x wasm3,iwasm -F 0 --backend perf -- app.wasm\n"
    "\n"
    "exit status: 0 when every runtime ran every time with the same output; 1 when\n"
    "outputs or exit statuses differ or a runtime's record failed; 64 usage; 125 other\n"
    "failure.\n";

/* What compare knows of a runtime beyond the analysis (index: the store's). */
struct crt {
	const char *label, *spec;
	char version[128], build_id[129], profile[64];
	size_t failures;
	bool mismatch;	       /* excluded although every run ran: other stdout or status */
	char folded[PATH_MAX]; /* DIR/LABEL.folded, or "" */
	char *folded_text;     /* ... its text */
	size_t folded_len;
};

struct compare {
	struct run_opts ro;
	bool cpu, generic;
	char **app;
	size_t napp;
	char *owned[MAX_PASS]; /* --option strings made here */
	size_t nowned;
	struct runner R;
	struct sdata d;
	struct analysis a;
	struct phase_score *ps;
	size_t nps;
	struct crt *rts; /* d.nrts, in the store's order */
	size_t *order;	 /* the store's indexes in the order of -x */
	char case_name[SUITE_NAME_MAX];
};

static int pass_on(struct compare *C, const char *opt, const char *arg)
{
	return suite_pass_on(&C->ro, "compare", opt, arg);
}

/* NAME=VALUE passed to record as NAME?=VALUE: set where the runtime's profile has it */
static int pass_option(struct compare *C, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *s;

	if (!eq || eq == arg || eq[-1] == '?' || C->nowned == MAX_PASS)
		return cmd_usage_error("compare", "--option takes NAME=on|off, not '%s'", arg);
	if (asprintf(&s, "%.*s?%s", (int)(eq - arg), arg, eq) < 0)
		return PP_EXIT_FAILURE;
	C->owned[C->nowned++] = s;
	return pass_on(C, "--option", s);
}

static int parse_opt(int c, void *ctx, char **argv)
{
	struct compare *C = ctx;
	struct run_opts *o = &C->ro;
	int ret = suite_run_option(c, o, "compare");

	(void)argv;
	if (ret >= 0)
		return ret;
	switch (c) {
	case OPT_CPU:
		C->cpu = true;
		return 0;
	/* every runtime gets it, so only where its profile has the option (NAME?=) */
	case OPT_KEEP_CACHE:
		return pass_on(C, "--option", "no-cache?=off");
	case OPT_OPTION:
		return pass_option(C, optarg);
	case OPT_GENERIC:
		C->generic = true;
		return pass_on(C, "--generic", NULL);
	case 'v':
		log_verbosity++;
		o->show_reports = true;
		return 0;
	default:
		return 0;
	}
}

static int parse_opts(int argc, char **argv, struct compare *C, bool *done)
{
	static const struct opt_verb v = { "compare", compare_usage, compare_options,
					   compare_examples, '+' };
	int ret;

	C->ro.runs = DEFAULT_RUNS;
	C->ro.warmup = DEFAULT_WARMUP;
	C->ro.shard_k = C->ro.shard_n = 1;
	C->ro.verb = "phaseprof "; /* argv[0] is "compare" */
	ret = options_parse(argc, argv, &v, parse_opt, C, done);
	if (ret || *done)
		return ret;
	if (!C->ro.runtimes_arg)
		return cmd_usage_error("compare", "no runtimes given; use -x RT1,RT2,...%s", "");
	C->app = argv + optind;
	C->napp = argc - optind;
	if (!C->napp)
		return cmd_usage_error("compare",
				       "no app given; put it after --: -- APP.wasm ARGS...%s", "");
	return 0;
}

/* The one case: APP ARGS, named after APP's file, run where compare runs, no timeout. */
static void app_case(const struct compare *C, struct suite_case *c)
{
	const char *base = strrchr(C->app[0], '/') ? strrchr(C->app[0], '/') + 1 : C->app[0];
	size_t n = strcspn(base, ".");

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%.*s", (int)n, base);
	for (char *p = c->name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '_' && *p != '-')
			*p = '_';
	if (!c->name[0])
		snprintf(c->name, sizeof(c->name), "app");
	c->module = C->app[0];
	c->args = C->app + 1;
	c->nargs = C->napp - 1;
	c->expect_exit = -1;
	c->timeout = NO_TIMEOUT;
}

/* what compare reads back of a run: its phases.json and stacks.folded */
#define COMPARE_MAX_FILE (256 << 20)

/* A regular file dirfd/name, never through a symlink or a FIFO; NULL if it is not one. */
static char *read_file_at(int dirfd, const char *name, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *text = NULL;

	*len = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    read_whole_fd(fd, COMPARE_MAX_FILE, &text, len))
		text = NULL;
	close(fd);
	return text;
}

/* snprintf for paths: -ENAMETOOLONG rather than a silently shortened name */
static int __attribute__((format(printf, 3, 4)))
path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* text to dirfd/name through a temporary file: never through a link planted there */
static int put_text(int dirfd, const char *name, const char *text, size_t len)
{
	struct outfile out;
	int err = outfile_begin(&out, dirfd, name);

	if (err)
		return err;
	if (fwrite(text, 1, len, out.f) != len) {
		outfile_abort(&out);
		return -EIO;
	}
	return outfile_commit(&out);
}

/* DIR/A-vs-B.svg, drawn from the texts in memory */
static void draw_diff(int dirfd, const char *dir, const struct crt *fastest, const struct crt *r)
{
	char name[160], title[512];
	struct flame_opts fo;
	struct outfile out;
	int err;

	snprintf(name, sizeof(name), "%s-vs-%s.svg", r->label, fastest->label);
	snprintf(title, sizeof(title), "%s vs %s (the fastest)", r->label, fastest->label);
	flame_opts_init(&fo);
	fo.title = title;
	fo.label_a = fastest->folded;
	fo.label_b = r->folded;
	err = outfile_begin(&out, dirfd, name);
	if (!err) {
		err = flame_render_diff_buffers(fastest->folded_text, fastest->folded_len,
						r->folded_text, r->folded_len, out.f, &fo);
		if (err)
			outfile_abort(&out);
		else
			err = outfile_commit(&out);
	}
	if (err)
		pr_warn("cannot draw the diff flame graph %s/%s: %s", dir, name, strerror(-err));
}

/* DIR/LABEL-vs-X.svg and DIR/X-vs-LABEL.svg of an earlier compare */
static void remove_diffs_of(int dirfd, const char *label)
{
	size_t ll = strlen(label);
	struct dirent *de;
	int fd = dup(dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		size_t len = strlen(nm);
		bool first = !strncmp(nm, label, ll) && !strncmp(nm + ll, "-vs-", 4);
		bool svg = len > ll + 8 && !strcmp(nm + len - 4, ".svg");
		bool second = svg && !strncmp(nm + len - ll - 8, "-vs-", 4) &&
			      !strncmp(nm + len - ll - 4, label, ll);

		if (svg && (first || second))
			unlinkat(dirfd, nm, 0);
	}
	closedir(d);
}

/* dirfd/CASE/LABEL/run-K of this batch, never through a link. fd or -errno. */
static int open_run(const struct compare *C, const char *label, unsigned k)
{
	char run[32];
	const char *path[3] = { C->case_name, label, run };
	int fd = dup(C->R.batchfd);

	snprintf(run, sizeof(run), "run-%u", k);
	for (size_t i = 0; fd >= 0 && i < 3; i++) {
		int next = openat(fd, path[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(fd);
		fd = next;
	}
	return fd < 0 ? -errno : fd;
}

/* The runtime's version, build-id and profile, from one run's phases.json. */
static void read_runtime_info(struct crt *r, int runfd)
{
	size_t len;
	char *text = read_file_at(runfd, "phases.json", &len), why[128];
	struct jr_node *doc = text ? jr_parse(text, len, why, sizeof(why)) : NULL;
	const struct jr_node *rt = doc ? jr_get(doc, "runtime") : NULL;

	snprintf(r->version, sizeof(r->version), "%s", jr_str(jr_get(rt, "version")) ?: "");
	snprintf(r->build_id, sizeof(r->build_id), "%s", jr_str(jr_get(rt, "build_id")) ?: "");
	snprintf(r->profile, sizeof(r->profile), "%s", jr_str(jr_get(rt, "name")) ?: "");
	jr_free(doc);
	free(text);
}

/* The last good measured run's stacks, read once and kept as DIR/LABEL.folded; its runtime info. */
static void keep_stacks(struct compare *C, int dirfd, struct crt *r)
{
	char name[96];

	for (unsigned k = C->ro.runs; k-- > 0;) {
		int runfd = open_run(C, r->label, k);
		bool good;

		if (runfd < 0)
			continue;
		good = !faccessat(runfd, "phases.json", F_OK, AT_SYMLINK_NOFOLLOW);
		if (good) {
			read_runtime_info(r, runfd);
			r->folded_text = read_file_at(runfd, "stacks.folded", &r->folded_len);
		}
		close(runfd);
		if (good)
			break;
	}
	if (r->folded_text && !r->folded_len) { /* -F 0: record leaves none, or an empty one */
		free(r->folded_text);
		r->folded_text = NULL;
	}
	if (!r->folded_text)
		return;
	snprintf(name, sizeof(name), "%s.folded", r->label);
	if (path_fmt(r->folded, sizeof(r->folded), "%s/%s", C->R.dir, name) ||
	    put_text(dirfd, name, r->folded_text, r->folded_len))
		r->folded[0] = '\0';
}

/* A runtime that ran cleanly (not excluded): its cell. */
static const struct cell *clean_cell(const struct compare *C, size_t r)
{
	const struct cell *cl = analysis__cell(&C->a, 0, r);

	return cl->nruns && !cl->excluded[0] ? cl : NULL;
}

/* Keep each runtime's stacks and draw diff flame graphs against the fastest clean one. */
static void collect_stacks(struct compare *C, int dirfd)
{
	const struct crt *fastest = NULL;
	double best = 0;

	for (size_t i = 0; i < C->d.nrts; i++) {
		const struct cell *cl = clean_cell(C, i);

		keep_stacks(C, dirfd, &C->rts[i]);
		if (cl && C->rts[i].folded[0] &&
		    (!fastest || cl->st[SUITE_PHASE_RUN].median < best)) {
			fastest = &C->rts[i];
			best = cl->st[SUITE_PHASE_RUN].median;
		}
	}
	if (!fastest) {
		pr_debug("no stacks.folded in the runs' directories: no flame graphs");
		return;
	}
	for (size_t i = 0; i < C->d.nrts; i++)
		if (&C->rts[i] != fastest && C->rts[i].folded[0] && clean_cell(C, i))
			draw_diff(dirfd, C->R.dir, fastest, &C->rts[i]);
}

static const struct phase_score *score_of(const struct compare *C, size_t r, int ph)
{
	for (size_t i = 0; i < C->nps; i++)
		if (C->ps[i].r == r && C->ps[i].ph == ph)
			return &C->ps[i];
	return NULL;
}

/* ---- an aligned text table: the first column to the left, the others to the right ---- */

struct table {
	size_t ncols, nrows, cap;
	char (*cells)[TABLE_CELL];
};

static char *tab_cell(struct table *t, size_t row, size_t col)
{
	return t->cells[row * t->ncols + col];
}

/* Columns on screen: UTF-8 continuation bytes take none (± is two bytes, one column). */
static size_t display_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void tab_print(struct table *t, const char *indent)
{
	size_t w[TABLE_MAX_COLS] = { 0 };

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols && c < sizeof(w) / sizeof(w[0]); c++)
			if (display_width(tab_cell(t, r, c)) > w[c])
				w[c] = display_width(tab_cell(t, r, c));
	for (size_t r = 0; r < t->nrows; r++) {
		printf("%s", indent);
		for (size_t c = 0; c < t->ncols && c < sizeof(w) / sizeof(w[0]); c++) {
			const char *s = tab_cell(t, r, c);
			int pad = (int)(w[c] - display_width(s));

			if (c == 0)
				printf("%s%*s", s, pad, "");
			else
				printf("  %*s%s", pad, "", s);
		}
		printf("\n");
	}
}

static int tab_init(struct table *t, size_t ncols, size_t nrows)
{
	t->ncols = ncols;
	t->nrows = 0;
	t->cap = nrows;
	t->cells = calloc(ncols * nrows + 1, sizeof(*t->cells));
	return t->cells ? 0 : -ENOMEM;
}

static void print_table(const struct compare *C, struct table *t)
{
	printf("%s ms per phase: median [min..max] ±MAD over %u run%s (%u warm-up)\n",
	       C->cpu ? "cpu" : "wall", C->ro.runs, C->ro.runs == 1 ? "" : "s", C->ro.warmup);
	snprintf(tab_cell(t, 0, 0), TABLE_CELL, "phase");
	for (size_t i = 0; i < C->d.nrts; i++)
		snprintf(tab_cell(t, 0, i + 1), TABLE_CELL, "%s%s", C->rts[C->order[i]].label,
			 analysis__cell(&C->a, 0, C->order[i])->excluded[0] ? " (excluded)" : "");
	for (int ph = 0; ph < SUITE_NSTAT; ph++) {
		snprintf(tab_cell(t, ph + 1, 0), TABLE_CELL, "%s", suite__stat_name(ph));
		for (size_t i = 0; i < C->d.nrts; i++) {
			size_t r = C->order[i];
			const struct cell *cl = analysis__cell(&C->a, 0, r);
			const struct summary *st = &cl->st[ph];
			const struct phase_score *ps = score_of(C, r, ph);
			char *s = tab_cell(t, ph + 1, i + 1);

			if (!cl->nruns)
				snprintf(s, TABLE_CELL, "(failed)");
			else if (!cl->measured[ph])
				snprintf(s, TABLE_CELL, "-");
			else
				snprintf(s, TABLE_CELL, "%s%.2f [%.2f..%.2f] ±%.2f",
					 ps && ps->anomaly ? "!" : "", st->median, st->min, st->max,
					 st->mad);
		}
	}
	t->nrows = SUITE_NSTAT + 1;
	tab_print(t, "  ");
}

/* The fewest measured runs of a runtime in the ranking: under 2, there is no spread. */
static size_t fewest_runs(const struct compare *C)
{
	size_t n = SIZE_MAX;

	for (size_t r = 0; r < C->d.nrts; r++)
		if (C->a.rt_used[r] && analysis__cell(&C->a, 0, r)->nruns < n)
			n = analysis__cell(&C->a, 0, r)->nruns;
	return n == SIZE_MAX ? 0 : n;
}

/* Why nothing is ranked, or NULL. */
static const char *not_ranked(const struct compare *C, char *buf, size_t len)
{
	size_t n = fewest_runs(C);

	if (C->d.nrts < 2)
		return "one runtime: nothing to compare it with";
	if (C->a.nused < 2)
		return "fewer than two runtimes ran cleanly";
	if (n < 2) {
		snprintf(buf, len, "n=%zu: no spread, not ranked (use -n 3 or more)", n);
		return buf;
	}
	return NULL;
}

static void print_anomalies(const struct compare *C, struct table *t)
{
	static const char *const head[TABLE_COLS] = { "runtime", "phase", "median ms", "others ms",
						      "ratio",	 "score", "p" };
	char why[96];
	const char *no = not_ranked(C, why, sizeof(why));

	printf("anomalies (median vs the mean of the other runtimes' medians, in units of pooled "
	       "spread; flagged at >= %.0f and %.1fx):\n",
	       ANOMALY_SCORE, ANOMALY_RATIO);
	if (no) {
		printf("  none ranked: %s\n", no);
		return;
	}
	t->ncols = TABLE_COLS;
	for (size_t c = 0; c < TABLE_COLS; c++)
		snprintf(tab_cell(t, 0, c), TABLE_CELL, "%s", head[c]);
	t->nrows = 1;
	for (size_t i = 0; i < C->nps && t->nrows <= 10; i++) {
		const struct phase_score *ps = &C->ps[i];
		size_t row = t->nrows++;

		if (!ps->scored || ps->score <= 0) {
			t->nrows--;
			break;
		}
		/* flagged as in the table: a leading ! */
		snprintf(tab_cell(t, row, 0), TABLE_CELL, "%s%s", ps->anomaly ? "!" : "",
			 C->rts[ps->r].label);
		snprintf(tab_cell(t, row, 1), TABLE_CELL, "%s", suite__stat_name(ps->ph));
		snprintf(tab_cell(t, row, 2), TABLE_CELL, "%.2f", ps->median);
		snprintf(tab_cell(t, row, 3), TABLE_CELL, "%.2f", ps->others);
		snprintf(tab_cell(t, row, 4), TABLE_CELL, "%.2fx", ps->ratio);
		snprintf(tab_cell(t, row, 5), TABLE_CELL, "%.1f", ps->score);
		snprintf(tab_cell(t, row, 6), TABLE_CELL, "%.3f", ps->p);
	}
	if (t->nrows == 1)
		printf("  none: no runtime is slower than the others in any phase\n");
	else
		tab_print(t, "  ");
}

/* ---- compare.json, compare.csv ---- */

static void json_stat(struct json *j, const struct compare *C, size_t r, int ph)
{
	const struct cell *cl = analysis__cell(&C->a, 0, r);
	const struct summary *st = &cl->st[ph];
	const struct phase_score *ps = score_of(C, r, ph);

	json_begin_object(j, suite__stat_name(ph));
	json_bool(j, "measured", cl->measured[ph]);
	json_u64(j, "n", cl->nruns);
	json_double(j, "median_ms", st->median);
	json_double(j, "min_ms", st->min);
	json_double(j, "max_ms", st->max);
	json_double(j, "mad_ms", st->mad);
	json_double(j, "ci_lo_ms", st->ci_lo);
	json_double(j, "ci_hi_ms", st->ci_hi);
	json_double(j, "others_mean_ms", ps ? ps->others : 0);
	json_double(j, "ratio", ps ? ps->ratio : 0);
	if (ps && ps->scored) {
		json_double(j, "score", ps->score);
		json_double(j, "p", ps->p);
	} else {
		json_null(j, "score");
		json_null(j, "p");
	}
	json_bool(j, "anomaly", ps && ps->anomaly);
	json_begin_array(j, "samples_ms");
	for (size_t i = 0; i < cl->nruns; i++)
		json_double(j, NULL, cl->samples[ph][i]);
	json_end_array(j);
	json_end_object(j);
}

static void json_runtime(struct json *j, const struct compare *C, size_t r)
{
	const struct crt *c = &C->rts[r];
	const struct cell *cl = analysis__cell(&C->a, 0, r);

	json_begin_object(j, NULL);
	json_string(j, "name", c->label);
	json_string(j, "runtime", c->spec);
	json_string(j, "profile", c->profile[0] ? c->profile : NULL);
	json_string(j, "version", c->version[0] ? c->version : NULL);
	json_string(j, "build_id", c->build_id[0] ? c->build_id : NULL);
	json_u64(j, "runs", cl->nruns);
	json_u64(j, "failures", c->failures);
	json_bool(j, "ranked", C->a.rt_used[r] && C->a.nused >= 2);
	json_string(j, "excluded", cl->excluded[0] ? cl->excluded : NULL);
	json_bool(j, "mismatch", c->mismatch);
	json_string(j, "stacks", c->folded[0] ? c->folded : NULL);
	json_begin_object(j, "phases");
	for (int ph = 0; ph < SUITE_NSTAT; ph++)
		json_stat(j, C, r, ph);
	json_end_object(j);
	json_end_object(j);
}

static void json_anomalies(struct json *j, const struct compare *C)
{
	json_begin_array(j, "anomalies");
	for (size_t i = 0; i < C->nps && C->ps[i].scored; i++) {
		const struct phase_score *ps = &C->ps[i];

		json_begin_object(j, NULL);
		json_string(j, "runtime", C->rts[ps->r].label);
		json_string(j, "phase", suite__stat_name(ps->ph));
		json_double(j, "median_ms", ps->median);
		json_double(j, "others_mean_ms", ps->others);
		json_double(j, "ratio", ps->ratio);
		json_double(j, "score", ps->score);
		json_double(j, "p", ps->p);
		json_bool(j, "anomaly", ps->anomaly);
		json_end_object(j);
	}
	json_end_array(j);
}

/* The exit status of the clean runs (they agree, or they would not be clean), or -1. */
static int clean_exit_status(const struct compare *C)
{
	for (size_t i = 0; i < C->d.nruns; i++)
		if (C->d.runs[i].outcome == RUN_OK && clean_cell(C, C->d.runs[i].r))
			return C->d.runs[i].exit_status;
	return -1;
}

static bool outputs_match(const struct compare *C)
{
	for (size_t r = 0; r < C->d.nrts; r++)
		if (C->rts[r].mismatch)
			return false;
	return true;
}

static void write_json(FILE *f, const struct compare *C)
{
	struct json j;
	char why[96];
	const char *no = not_ranked(C, why, sizeof(why));

	json_init(&j, f, true);
	json_begin_object(&j, NULL);
	json_string(&j, "metric", C->cpu ? "cpu" : "wall");
	json_u64(&j, "runs", C->ro.runs);
	json_u64(&j, "warmup", C->ro.warmup);
	json_begin_array(&j, "app");
	for (size_t i = 0; i < C->napp; i++)
		json_string(&j, NULL, C->app[i]);
	json_end_array(&j);
	json_bool(&j, "outputs_match", outputs_match(C));
	json_i64(&j, "exit_status", clean_exit_status(C));
	json_i64(&j, "batch", C->R.batch);
	json_bool(&j, "ranked", !no);
	json_string(&j, "not_ranked", no);
	json_begin_array(&j, "runtimes");
	for (size_t i = 0; i < C->d.nrts; i++)
		json_runtime(&j, C, C->order[i]);
	json_end_array(&j);
	json_anomalies(&j, C);
	json_end_object(&j);
	json_finish(&j);
}

static void write_csv(FILE *f, const struct compare *C)
{
	fprintf(f, "runtime,phase,measured,n,median_ms,min_ms,max_ms,mad_ms,ratio,score,anomaly,"
		   "ci_lo_ms,ci_hi_ms,p,excluded\n");
	for (size_t i = 0; i < C->d.nrts; i++)
		for (int ph = 0; ph < SUITE_NSTAT; ph++) {
			size_t r = C->order[i];
			const struct cell *cl = analysis__cell(&C->a, 0, r);
			const struct summary *st = &cl->st[ph];
			const struct phase_score *ps = score_of(C, r, ph);
			char score[32] = "", p[32] = "";

			if (ps && ps->scored) {
				snprintf(score, sizeof(score), "%.3f", ps->score);
				snprintf(p, sizeof(p), "%.4f", ps->p);
			}
			fprintf(f, "%s,%s,%d,%zu,%.6f,%.6f,%.6f,%.6f,%.4f,%s,%d,%.6f,%.6f,%s,%d\n",
				C->rts[r].label, suite__stat_name(ph), cl->measured[ph], cl->nruns,
				st->median, st->min, st->max, st->mad, ps ? ps->ratio : 0, score,
				ps && ps->anomaly, st->ci_lo, st->ci_hi, p, cl->excluded[0] != 0);
		}
}

/* compare.json and compare.csv, each written to a temporary and renamed (outfile.h) */
static int write_results(int dirfd, const struct compare *C)
{
	struct outfile out;
	int err = outfile_begin(&out, dirfd, "compare.json");

	if (err)
		return err;
	write_json(out.f, C);
	err = outfile_commit(&out);
	if (err)
		return err;
	err = outfile_begin(&out, dirfd, "compare.csv");
	if (err)
		return err;
	write_csv(out.f, C);
	return outfile_commit(&out);
}

/* ---- running: the suite runner, one case ---- */

/* DIR from -o, or a new temporary one; opened and checked before any run. fd or -1. */
static int open_compare_dir(struct compare *C, char *tmp, size_t len)
{
	int fd, err;

	if (!C->ro.output) {
		snprintf(tmp, len, "%s/phaseprof-compare.XXXXXX", getenv("TMPDIR") ?: "/tmp");
		if (!mkdtemp(tmp)) {
			pr_err("cannot create a temporary directory: %s", strerror(errno));
			return -1;
		}
		C->ro.output = tmp;
		fprintf(stderr, "phaseprof: results and every run's output go to %s\n", tmp);
	}
	fd = suite_open_output(&C->R);
	err = fd < 0 ? fd : outdir_check_writable(fd);
	if (!err)
		return fd;
	pr_err("cannot use '%s' for output: %s; choose a directory you can write to", C->ro.output,
	       strerror(-err));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Run the one case into DIR/results.sqlite and read this batch back. 0 or an exit code. */
static int run_and_load(struct compare *C, int dirfd, int argc, char **argv)
{
	struct suite_case c;
	struct suite s = { .path = "(compare)", .cases = &c, .ncases = 1 };
	char db[PATH_MAX + 32], err[1024];

	app_case(C, &c);
	snprintf(C->case_name, sizeof(C->case_name), "%s", c.name);
	snprintf(db, sizeof(db), "%s/results.sqlite", C->R.dir);
	if (store__open(db, true, &C->R.st, err, sizeof(err))) {
		fprintf(stderr, "phaseprof: %s\n", err);
		return PP_EXIT_FAILURE;
	}
	if (suite_run_batch(&C->R, &s, dirfd, argc, argv)) {
		pr_err("cannot run or store the runs in '%s': see above", db);
		return PP_EXIT_FAILURE;
	}
	if (store__load(&C->R.st, false, &C->d, err, sizeof(err))) {
		fprintf(stderr, "phaseprof: cannot read the runs back: %s\n", err);
		return PP_EXIT_FAILURE;
	}
	return 0;
}

/* The analysis, the phase scores, and what compare keeps of each runtime. 0 or -ENOMEM. */
static int analyse(struct compare *C)
{
	int err = analysis__run_with(&C->a, &C->d, C->cpu, SUITE_PHASE_RUN, C->generic);

	if (!err)
		err = analysis__phase_scores(&C->a, 0, &C->ps, &C->nps);
	if (!err && !(C->rts = calloc(C->d.nrts + 1, sizeof(*C->rts))))
		err = -ENOMEM;
	if (!err && !(C->order = calloc(C->d.nrts + 1, sizeof(*C->order))))
		err = -ENOMEM;
	for (size_t i = 0, k = 0; !err && i < C->R.nrts; i++)
		for (size_t r = 0; r < C->d.nrts; r++)
			if (!strcmp(C->R.rts[i].label, C->d.rts[r]) && k < C->d.nrts)
				C->order[k++] = r;
	for (size_t r = 0; !err && r < C->d.nrts; r++) {
		struct crt *c = &C->rts[r];
		const struct cell *cl = analysis__cell(&C->a, 0, r);
		bool fallback = false;

		c->label = C->d.rts[r];
		c->spec = c->label;
		for (size_t i = 0; i < C->R.nrts; i++)
			if (!strcmp(C->R.rts[i].label, c->label))
				c->spec = C->R.rts[i].spec;
		for (size_t i = 0; i < C->d.nruns; i++)
			if (C->d.runs[i].r == r) {
				c->failures += C->d.runs[i].outcome != RUN_OK;
				fallback |= C->d.runs[i].fallback;
			}
		c->mismatch =
		    cl->excluded[0] && cl->nruns && !c->failures && (C->generic || !fallback);
	}
	return err;
}

/* The table, the ranking, the exclusions. The number of runtimes excluded for their output. */
static size_t report(const struct compare *C)
{
	struct table t;
	size_t mismatches = 0;

	/* room for both tables: the phases by runtime, then the top 10 anomalies */
	if (tab_init(&t, C->d.nrts + 1 > TABLE_COLS ? C->d.nrts + 1 : TABLE_COLS, SUITE_NSTAT + 12))
		return 0;
	t.ncols = C->d.nrts + 1;
	print_table(C, &t);
	print_anomalies(C, &t);
	for (size_t i = 0; i < C->d.nrts; i++) {
		size_t r = C->order[i];
		const struct cell *cl = analysis__cell(&C->a, 0, r);

		if (!cl->excluded[0])
			continue;
		printf("  excluded: %s: %s\n", C->rts[r].label, cl->excluded);
		if (C->rts[r].mismatch) {
			fprintf(stderr, "phaseprof: MISMATCH: %s: %s\n", C->rts[r].label,
				cl->excluded);
			mismatches++;
		}
	}
	if (mismatches)
		fprintf(stderr,
			"phaseprof: MISMATCH: the runtimes' outputs or exit statuses differ; "
			"timings compare different work\n");
	free(t.cells);
	return mismatches;
}

static void compare_free(struct compare *C)
{
	for (size_t r = 0; C->rts && r < C->d.nrts; r++)
		free(C->rts[r].folded_text);
	free(C->rts);
	free(C->order);
	free(C->ps);
	analysis__free(&C->a);
	sdata__free(&C->d);
	store__close(&C->R.st);
	if (C->R.batchfd >= 0)
		close(C->R.batchfd);
	free(C->R.rts);
	for (size_t i = 0; i < C->nowned; i++)
		free(C->owned[i]);
}

int cmd_compare(int argc, char **argv)
{
	struct compare C = { .R = { .batchfd = -1, .tty = isatty(2) } };
	char tmp[PATH_MAX];
	size_t mismatches = 0;
	int dirfd = -1, err;
	bool done;
	int ret = parse_opts(argc, argv, &C, &done);

	C.R.o = &C.ro;
	if (ret || done)
		goto out;
	if (suite_split_runtimes(C.ro.runtimes_arg, &C.R.rts, &C.R.nrts)) {
		ret = cmd_usage_error("compare",
				      "-x takes 1 to 16 runtimes separated by commas, not '%s'",
				      C.ro.runtimes_arg);
		goto out;
	}
	ret = suite_check_runtimes(&C.R);
	if (!ret && (dirfd = open_compare_dir(&C, tmp, sizeof(tmp))) < 0)
		ret = PP_EXIT_FAILURE;
	if (!ret)
		ret = run_and_load(&C, dirfd, argc, argv);
	if (!ret && analyse(&C))
		ret = PP_EXIT_FAILURE;
	if (ret)
		goto out;
	for (size_t r = 0; r < C.d.nrts; r++) {
		char name[96];

		snprintf(name, sizeof(name), "%s.folded", C.rts[r].label);
		unlinkat(dirfd, name, 0); /* an earlier compare's, if this one has no stacks */
		remove_diffs_of(dirfd, C.rts[r].label);
	}
	collect_stacks(&C, dirfd);
	mismatches = report(&C);
	err = write_results(dirfd, &C);
	if (err) {
		pr_err("cannot write results in '%s': %s", C.R.dir, strerror(-err));
		ret = PP_EXIT_FAILURE;
	} else {
		printf("results: %s/compare.json %s/compare.csv %s/results.sqlite\n", C.R.dir,
		       C.R.dir, C.R.dir);
	}
	if (!ret && (C.R.failed || mismatches))
		ret = 1;
out:
	compare_free(&C);
	if (dirfd >= 0)
		close(dirfd);
	return ret;
}
