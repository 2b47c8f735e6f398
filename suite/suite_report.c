// SPDX-License-Identifier: MIT
/*
 * suite_report.c: `phaseprof suite report`: what the stored runs say, as a
 * table, JSON, CSV or a self-contained HTML page (suite_html.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PR_DOMAIN "suite"
#include "cmdutil.h"
#include "exitcodes.h"
#include "json.h"
#include "log.h"
#include "options.h"
#include "outfile.h"
#include "suite.h"
#include "suite_analysis.h"
#include "suite_report.h"

enum { OPT_FORMAT = 256, OPT_CPU, OPT_PHASE, OPT_ALL };

const struct opt_doc suite_report_options[] = {
	{ "format", OPT_FORMAT, "FMT",
	  "table (default), json, csv or html (html: DIR/report.html)" },
	{ "cpu", OPT_CPU, NULL, "use CPU time instead of wall time" },
	{ "phase", OPT_PHASE, "NAME", "rank by this phase's time instead of the whole run's" },
	{ "all-batches", OPT_ALL, NULL, "pool every batch (default: each case's newest batch)" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char report_usage[] =
    "usage: phaseprof suite report [options] DIR|RESULTS.sqlite\n"
    "\n"
    "Per case, runtime and phase: median, MAD and a 95% confidence interval of\n"
    "the median; the WarpDiff ranking of the cases with, for each, the runtime\n"
    "and phase that drive it and a rank test; the exclusions and why.\n";

static const char report_examples[] =
    "examples:\n"
    "  phaseprof suite report out\n"
    "  phaseprof suite report --format html out && chromium out/report.html\n"
    "\n"
    "exit status: 0; 64 usage; 125 the results cannot be read.\n";

struct report_opts {
	enum report_format fmt;
	bool cpu, all;
	int metric;
	const char *where;
};

static int parse_format(const char *s, enum report_format *f)
{
	static const char *const names[] = { "table", "json", "csv", "html" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*f = (enum report_format)i;
			return 0;
		}
	return -EINVAL;
}

static int parse_metric(const char *s, int *metric)
{
	for (int ph = 0; ph < SUITE_NSTAT; ph++)
		if (!strcmp(s, suite__stat_name(ph))) {
			*metric = ph;
			return 0;
		}
	return -EINVAL;
}

static int report_option(int c, void *ctx, char **argv)
{
	struct report_opts *o = ctx;

	(void)argv;
	switch (c) {
	case OPT_FORMAT:
		if (parse_format(optarg, &o->fmt))
			return cmd_usage_error(
			    "suite report",
			    "--format takes table, json, csv or html, not '%s'", optarg);
		break;
	case OPT_PHASE:
		if (parse_metric(optarg, &o->metric))
			return cmd_usage_error(
			    "suite report",
			    "--phase takes run, startup, load, "
			    "compile, instantiate, execute, teardown or unknown, not '%s'",
			    optarg);
		break;
	case OPT_CPU:
		o->cpu = true;
		break;
	case OPT_ALL:
		o->all = true;
		break;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct report_opts *o, bool *done)
{
	static const struct opt_verb v = { "suite report", report_usage, suite_report_options,
					   report_examples, '+' };
	int ret;

	memset(o, 0, sizeof(*o));
	o->metric = SUITE_PHASE_RUN;
	ret = options_parse(argc, argv, &v, report_option, o, done);
	if (ret || *done)
		return ret;
	if (argc - optind != 1)
		return cmd_usage_error(
		    "suite report", "give one DIR (of suite run -o DIR) or a .sqlite file%s", "");
	o->where = argv[optind];
	return 0;
}

int suite_open_results(const char *where, struct store *st, char *path, size_t len)
{
	struct stat sb;
	char err[1024];

	if (!stat(where, &sb) && S_ISDIR(sb.st_mode))
		snprintf(path, len, "%s/results.sqlite", where);
	else
		snprintf(path, len, "%s", where);
	if (access(path, R_OK)) {
		pr_err("cannot read '%s': %s; give the -o DIR of 'phaseprof suite run' or its "
		       "results.sqlite",
		       path, strerror(errno));
		return PP_EXIT_FAILURE;
	}
	if (store__open(path, false, st, err, sizeof(err))) {
		fprintf(stderr, "phaseprof: %s\n", err);
		return PP_EXIT_FAILURE;
	}
	return 0;
}

static const char *metric_name(const struct analysis *a)
{
	return a->cpu ? "cpu" : "wall";
}

static void table_case(FILE *f, const struct analysis *a, size_t c)
{
	const struct sdata *d = a->d;

	fprintf(f, "\ncase %s\n  %-12s", d->cases[c].name, "phase");
	for (size_t r = 0; r < d->nrts; r++)
		fprintf(f, " %34.34s", d->rts[r]);
	fprintf(f, "\n");
	for (int ph = 0; ph < SUITE_NSTAT; ph++) {
		int p = ph == 0 ? SUITE_PHASE_RUN : ph - 1; /* the whole run first */

		fprintf(f, "  %-12s", suite__stat_name(p));
		for (size_t r = 0; r < d->nrts; r++) {
			const struct cell *cl = analysis__cell(a, c, r);
			char cell[96];

			if (!cl->nruns)
				snprintf(cell, sizeof(cell), "(no runs)");
			else if (!cl->measured[p])
				snprintf(cell, sizeof(cell), "-");
			else
				snprintf(cell, sizeof(cell), "%s%.2f ±%.2f [%.2f..%.2f] n=%zu",
					 cl->excluded[0] ? "x " : "", cl->st[p].median,
					 cl->st[p].mad, cl->st[p].ci_lo, cl->st[p].ci_hi,
					 cl->nruns);
			fprintf(f, " %34s", cell);
		}
		fprintf(f, "\n");
	}
}

static void table_ranking(FILE *f, const struct analysis *a)
{
	fprintf(f,
		"\nWarpDiff ranking by %s %s time (distance of the case's L2-normalised vector of "
		"runtime medians to the mean of those vectors; %zu runtimes):\n",
		metric_name(a), suite__stat_name(a->metric), a->nused);
	if (!a->nrank) {
		fprintf(f, "  (no case can be ranked)\n");
		return;
	}
	fprintf(f, "  %4s %-24s %8s  %-16s %7s  %-12s %10s %8s\n", "rank", "case", "distance",
		"slow runtime", "x usual", "phase", "extra ms", "p");
	for (size_t i = 0; i < a->nrank; i++) {
		const struct ranked_case *rc = &a->rank[i];

		fprintf(f, "  %4zu %-24s %8.4f  %-16s %7.3f  %-12s %10.2f %8.4f%s\n", i + 1,
			a->d->cases[rc->c].name, rc->dist, a->d->rts[rc->slow], rc->ratio,
			rc->phase >= 0 ? suite__stat_name(rc->phase) : "-", rc->extra_ms, rc->p,
			rc->significant ? " significant" : "");
	}
}

static void table_exclusions(FILE *f, const struct analysis *a)
{
	bool any = false;

	for (size_t c = 0; c < a->d->ncases; c++)
		for (size_t r = 0; r < a->d->nrts; r++) {
			const struct cell *cl = analysis__cell(a, c, r);

			if (!cl->excluded[0])
				continue;
			if (!any)
				fprintf(f, "\nexcluded:\n");
			any = true;
			fprintf(f, "  %s on %s: %s\n", a->d->cases[c].name, a->d->rts[r],
				cl->excluded);
		}
	for (size_t c = 0, first = 1; c < a->d->ncases; c++)
		if (a->unranked[c]) {
			if (first)
				fprintf(f, "\nnot ranked:\n");
			first = 0;
			fprintf(f, "  %s: %s\n", a->d->cases[c].name, a->unranked[c]);
		}
}

/* The compile run of case c on compile step r that came from the AOT cache: its note, or NULL. */
static const char *aot_cache_note(const struct analysis *a, size_t c, size_t r)
{
	static const char tag[] = "AOT cache:";

	for (size_t i = 0; i < a->d->nruns; i++) {
		const struct srun *run = &a->d->runs[i];

		if (run->c == c && run->r == r && run->stderr_first &&
		    !strncmp(run->stderr_first, tag, sizeof(tag) - 1))
			return run->stderr_first;
	}
	return NULL;
}

/* The compile steps of the :aot variants: the AOT compilation time, and whether it was cached. */
static void table_aot(FILE *f, const struct analysis *a)
{
	bool any = false;

	for (size_t c = 0; c < a->d->ncases; c++)
		for (size_t r = 0; r < a->d->nrts; r++) {
			const struct cell *cl = analysis__cell(a, c, r);
			const char *note = aot_cache_note(a, c, r);

			if (!suite_is_compile_runtime(a->d->rts[r]) || !cl->nruns)
				continue;
			if (!any)
				fprintf(f, "\nAOT compilation (a compile step per case, before the "
					   "variant's runs; not ranked):\n");
			any = true;
			fprintf(f, "  %s by %s: compile %.2f ms, run %.2f ms%s%s\n",
				a->d->cases[c].name, a->d->rts[r], cl->st[PP_PHASE_COMPILE].median,
				cl->st[SUITE_PHASE_RUN].median, note ? "; " : "", note ? note : "");
		}
}

static void report_table(FILE *f, const struct analysis *a, const char *path)
{
	fprintf(f, "%s: %zu cases, %zu runtimes, %zu measured runs\n", path, a->d->ncases,
		a->d->nrts, a->d->nruns);
	fprintf(f,
		"%s ms per case, runtime and phase: median ±MAD [95%% CI of the median] n=runs; "
		"x: excluded\n",
		metric_name(a));
	for (size_t c = 0; c < a->d->ncases; c++)
		table_case(f, a, c);
	table_aot(f, a);
	table_ranking(f, a);
	table_exclusions(f, a);
}

static void json_summary(struct json *j, const char *key, const struct cell *cl, int ph)
{
	const struct summary *s = &cl->st[ph];

	json_begin_object(j, key);
	json_bool(j, "measured", cl->measured[ph]);
	json_double(j, "median_ms", s->median);
	json_double(j, "mad_ms", s->mad);
	json_double(j, "q1_ms", s->q1);
	json_double(j, "q3_ms", s->q3);
	json_double(j, "min_ms", s->min);
	json_double(j, "max_ms", s->max);
	json_double(j, "ci_low_ms", s->ci_lo);
	json_double(j, "ci_high_ms", s->ci_hi);
	json_end_object(j);
}

static void json_cases(struct json *j, const struct analysis *a)
{
	json_begin_array(j, "cases");
	for (size_t c = 0; c < a->d->ncases; c++) {
		json_begin_object(j, NULL);
		json_string(j, "name", a->d->cases[c].name);
		json_string(j, "not_ranked", a->unranked[c]);
		json_begin_array(j, "runtimes");
		for (size_t r = 0; r < a->d->nrts; r++) {
			const struct cell *cl = analysis__cell(a, c, r);

			json_begin_object(j, NULL);
			json_string(j, "runtime", a->d->rts[r]);
			json_u64(j, "runs", cl->nruns);
			json_string(j, "excluded", cl->excluded[0] ? cl->excluded : NULL);
			if (suite_is_compile_runtime(a->d->rts[r]))
				json_string(j, "aot_cache", aot_cache_note(a, c, r));
			json_begin_object(j, "phases");
			for (int ph = 0; ph < SUITE_NSTAT; ph++)
				json_summary(j, suite__stat_name(ph), cl, ph);
			json_end_object(j);
			json_end_object(j);
		}
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
}

static void report_json(FILE *f, const struct analysis *a)
{
	struct json j;

	json_init(&j, f, true);
	json_begin_object(&j, NULL);
	json_string(&j, "metric", metric_name(a));
	json_string(&j, "ranked_by", suite__stat_name(a->metric));
	json_begin_array(&j, "runtimes");
	for (size_t r = 0; r < a->d->nrts; r++)
		json_string(&j, NULL, a->d->rts[r]);
	json_end_array(&j);
	json_begin_array(&j, "ranking");
	for (size_t i = 0; i < a->nrank; i++) {
		const struct ranked_case *rc = &a->rank[i];

		json_begin_object(&j, NULL);
		json_u64(&j, "rank", i + 1);
		json_string(&j, "case", a->d->cases[rc->c].name);
		json_double(&j, "distance", rc->dist);
		json_string(&j, "slow_runtime", a->d->rts[rc->slow]);
		json_double(&j, "ratio_to_usual", rc->ratio);
		json_string(&j, "phase", rc->phase >= 0 ? suite__stat_name(rc->phase) : NULL);
		json_double(&j, "extra_ms", rc->extra_ms);
		json_double(&j, "p", rc->p);
		json_bool(&j, "significant", rc->significant);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_cases(&j, a);
	json_end_object(&j);
	json_finish(&j);
}

/* CSV: one row per case, runtime and phase; the case's rank on every row. */
static void report_csv(FILE *f, const struct analysis *a)
{
	fprintf(
	    f, "case,runtime,phase,measured,runs,median_ms,mad_ms,q1_ms,q3_ms,ci_low_ms,ci_high_ms,"
	       "rank,distance,excluded\n");
	for (size_t c = 0; c < a->d->ncases; c++) {
		size_t rank = 0;
		double dist = 0;

		for (size_t i = 0; i < a->nrank; i++)
			if (a->rank[i].c == c) {
				rank = i + 1;
				dist = a->rank[i].dist;
			}
		for (size_t r = 0; r < a->d->nrts; r++)
			for (int ph = 0; ph < SUITE_NSTAT; ph++) {
				const struct cell *cl = analysis__cell(a, c, r);
				const struct summary *s = &cl->st[ph];

				fprintf(f, "%s,%s,%s,%d,%zu,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,",
					a->d->cases[c].name, a->d->rts[r], suite__stat_name(ph),
					cl->measured[ph], cl->nruns, s->median, s->mad, s->q1,
					s->q3, s->ci_lo, s->ci_hi);
				if (rank)
					fprintf(f, "%zu,%.6f,", rank, dist);
				else
					fprintf(f, ",,");
				/* a reason may hold commas and quotes: quoted, quotes doubled */
				fputc('"', f);
				for (const char *p = cl->excluded; *p; p++)
					fprintf(f, *p == '"' ? "\"\"" : "%c", *p);
				fprintf(f, "\"\n");
			}
	}
}

/* report.html into DIR through outfile (never through a link), or to stdout for a file. */
static int write_html(const struct analysis *a, const char *where, const char *title)
{
	struct stat sb;
	struct outfile of;
	int fd, err;

	if (stat(where, &sb) || !S_ISDIR(sb.st_mode)) {
		report_html(stdout, a, title);
		return 0;
	}
	fd = outdir_open(where);
	if (fd < 0)
		return fd;
	err = outfile_begin(&of, fd, "report.html");
	if (!err) {
		report_html(of.f, a, title);
		err = outfile_commit(&of);
	}
	close(fd);
	if (!err)
		printf("%s/report.html\n", where);
	return err;
}

int suite_report(int argc, char **argv)
{
	struct report_opts o;
	struct store st = { 0 };
	struct sdata d;
	struct analysis a;
	char path[PATH_MAX + 32], err[1024];
	bool done;
	int ret = parse_opts(argc, argv, &o, &done);

	if (ret || done)
		return ret;
	ret = suite_open_results(o.where, &st, path, sizeof(path));
	if (ret)
		return ret;
	if (store__load(&st, o.all, &d, err, sizeof(err))) {
		fprintf(stderr, "phaseprof: %s\n", err);
		store__close(&st);
		return PP_EXIT_FAILURE;
	}
	store__close(&st);
	ret = analysis__run(&a, &d, o.cpu, o.metric);
	if (!ret && o.fmt == FMT_TABLE)
		report_table(stdout, &a, path);
	else if (!ret && o.fmt == FMT_JSON)
		report_json(stdout, &a);
	else if (!ret && o.fmt == FMT_CSV)
		report_csv(stdout, &a);
	else if (!ret)
		ret = write_html(&a, o.where, path);
	if (ret)
		pr_err("cannot write the report: %s", strerror(-ret));
	analysis__free(&a);
	sdata__free(&d);
	return ret ? PP_EXIT_FAILURE : PP_EXIT_OK;
}
