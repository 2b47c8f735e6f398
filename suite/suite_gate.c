// SPDX-License-Identifier: MIT
/*
 * suite_gate.c: `phaseprof suite gate BASE NEW`: the CI gate. A (case,
 * runtime, phase) regresses when its median in NEW is more than the
 * threshold above BASE's AND the shift is beyond the noise of both: the
 * one-sided Mann-Whitney test says NEW's runs are larger (p < 0.05) and the
 * shift exceeds either side's own spread (MAD) and the timer floor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PR_DOMAIN "suite"
#include "cmdutil.h"
#include "exitcodes.h"
#include "log.h"
#include "options.h"
#include "suite.h"
#include "suite_analysis.h"
#include "suite_report.h"

#define DEFAULT_THRESHOLD 10

enum { OPT_THRESHOLD = 256, OPT_FORMAT, OPT_CPU };

const struct opt_doc suite_gate_options[] = {
	{ "threshold", OPT_THRESHOLD, "PCT",
	  "fail when a phase is more than PCT percent slower (default " STRINGIFY(
	      DEFAULT_THRESHOLD) ")" },
	{ "format", OPT_FORMAT, "FMT", "text (default) or markdown" },
	{ "cpu", OPT_CPU, NULL, "compare CPU time instead of wall time" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char gate_usage[] =
    "usage: phaseprof suite gate [options] BASE NEW\n"
    "\n"
    "BASE and NEW are results of 'phaseprof suite run' (a DIR or its results.sqlite).\n"
    "Exit 1 when any case, runtime and phase got slower by more than the threshold\n"
    "and beyond the noise of both (Mann-Whitney p < 0.05, shift above both MADs).\n";

static const char gate_examples[] =
    "examples:\n"
    "  phaseprof suite gate baseline/results.sqlite out\n"
    "  phaseprof suite gate --threshold 5 --format markdown base new >> $GITHUB_STEP_SUMMARY\n"
    "\n"
    "exit status: 0 no regression; 1 a regression (or a run that fails now and did not);\n"
    "64 usage; 125 the results cannot be read.\n";

struct gate_opts {
	double threshold;
	bool markdown, cpu;
	const char *base, *new;
};

struct verdict {
	size_t compared, regressions, broken;
};

static int gate_option(int c, void *ctx, char **argv)
{
	struct gate_opts *o = ctx;
	char *end;

	(void)argv;
	switch (c) {
	case OPT_THRESHOLD:
		o->threshold = strtod(optarg, &end);
		if (!*optarg || *end || !(o->threshold >= 0) || o->threshold > 10000)
			return cmd_usage_error("suite gate",
					       "--threshold takes a percentage from 0 "
					       "to 10000, not '%s'",
					       optarg);
		break;
	case OPT_FORMAT:
		if (strcmp(optarg, "text") && strcmp(optarg, "markdown"))
			return cmd_usage_error("suite gate",
					       "--format takes text or markdown, not '%s'",
					       optarg);
		o->markdown = !strcmp(optarg, "markdown");
		break;
	case OPT_CPU:
		o->cpu = true;
		break;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct gate_opts *o, bool *done)
{
	static const struct opt_verb v = { "suite gate", gate_usage, suite_gate_options,
					   gate_examples, '+' };
	int ret;

	memset(o, 0, sizeof(*o));
	o->threshold = DEFAULT_THRESHOLD;
	ret = options_parse(argc, argv, &v, gate_option, o, done);
	if (ret || *done)
		return ret;
	if (argc - optind != 2)
		return cmd_usage_error("suite gate",
				       "give BASE and NEW (each a DIR or a .sqlite file)%s", "");
	o->base = argv[optind];
	o->new = argv[optind + 1];
	return 0;
}

static int load(const char *where, bool cpu, struct sdata *d, struct analysis *a)
{
	struct store st = { 0 };
	char path[PATH_MAX + 32], err[1024];
	int ret = suite_open_results(where, &st, path, sizeof(path));

	if (ret)
		return ret;
	ret = store__load(&st, false, d, err, sizeof(err));
	store__close(&st);
	if (ret) {
		fprintf(stderr, "phaseprof: %s\n", err);
		return PP_EXIT_FAILURE;
	}
	if (analysis__run(a, d, cpu, SUITE_PHASE_RUN)) {
		pr_err("out of memory analysing '%s'", path);
		return PP_EXIT_FAILURE;
	}
	return 0;
}

static ssize_t index_of(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (ssize_t)i;
	return -1;
}

static ssize_t case_index(const struct sdata *d, const char *name)
{
	for (size_t i = 0; i < d->ncases; i++)
		if (!strcmp(d->cases[i].name, name))
			return (ssize_t)i;
	return -1;
}

static double max2(double a, double b)
{
	return a > b ? a : b;
}

static void print_row(const struct gate_opts *o, struct verdict *v, const char *kase,
		      const char *rt, const char *phase, const char *what)
{
	if (o->markdown && v->regressions + v->broken == 1)
		printf("| | case | runtime | phase | change |\n|---|---|---|---|---|\n");
	if (o->markdown)
		printf("| :x: | %s | %s | %s | %s |\n", kase, rt, phase, what);
	else
		printf("REGRESSION %s on %s, phase %s: %s\n", kase, rt, phase, what);
}

/* One phase of one case on one runtime, base against new. */
static void compare_phase(const struct gate_opts *o, struct verdict *v, const char *kase,
			  const char *rt, int ph, const struct cell *b, const struct cell *n)
{
	const struct summary *sb = &b->st[ph], *sn = &n->st[ph];
	double shift = sn->median - sb->median, p;
	char what[256];

	if (!b->measured[ph] || !n->measured[ph])
		return;
	v->compared++;
	if (!(sn->median > sb->median * (1 + o->threshold / 100)) ||
	    shift <= max2(NOISE_FLOOR_MS, max2(sb->mad, sn->mad)))
		return;
	p = stats_mann_whitney(n->samples[ph], n->nruns, b->samples[ph], b->nruns, MW_GREATER);
	if (p >= SIGNIFICANCE)
		return;
	v->regressions++;
	snprintf(what, sizeof(what),
		 "%.2f -> %.2f ms (%+.1f%%; MAD %.2f, %.2f; p=%.4f, n=%zu, %zu)", sb->median,
		 sn->median, sb->median > 0 ? 100 * shift / sb->median : 0, sb->mad, sn->mad, p,
		 b->nruns, n->nruns);
	print_row(o, v, kase, rt, suite__stat_name(ph), what);
}

static void compare_all(const struct gate_opts *o, const struct analysis *ba,
			const struct analysis *na, struct verdict *v)
{
	const struct sdata *bd = ba->d, *nd = na->d;

	for (size_t c = 0; c < nd->ncases; c++) {
		ssize_t bc = case_index(bd, nd->cases[c].name);

		for (size_t r = 0; bc >= 0 && r < nd->nrts; r++) {
			ssize_t br = index_of(bd->rts, bd->nrts, nd->rts[r]);
			const struct cell *b, *n;

			if (br < 0)
				continue;
			b = analysis__cell(ba, (size_t)bc, (size_t)br);
			n = analysis__cell(na, c, r);
			if (!b->excluded[0] && n->excluded[0]) {
				v->broken++;
				print_row(o, v, nd->cases[c].name, nd->rts[r], "-", n->excluded);
				continue;
			}
			for (int ph = 0; ph < SUITE_NSTAT; ph++)
				compare_phase(o, v, nd->cases[c].name, nd->rts[r], ph, b, n);
		}
	}
}

int suite_gate(int argc, char **argv)
{
	struct gate_opts o;
	struct sdata bd = { 0 }, nd = { 0 };
	struct analysis ba = { 0 }, na = { 0 };
	struct verdict v = { 0 };
	bool done;
	int ret = parse_opts(argc, argv, &o, &done);

	if (ret || done)
		return ret;
	ret = load(o.base, o.cpu, &bd, &ba);
	if (!ret)
		ret = load(o.new, o.cpu, &nd, &na);
	if (!ret) {
		compare_all(&o, &ba, &na, &v);
		printf("%sgate: %zu (case, runtime, phase) compared; %zu slower by more than %g%% "
		       "beyond "
		       "noise; %zu failing now%s\n",
		       o.markdown ? "\n" : "", v.compared, v.regressions, o.threshold, v.broken,
		       v.regressions + v.broken ? ": FAIL" : ": pass");
		if (!v.compared)
			pr_warn("no case ran on the same runtime in both '%s' and '%s'", o.base,
				o.new);
		ret = v.regressions + v.broken ? 1 : PP_EXIT_OK;
	}
	if (ba.d)
		analysis__free(&ba);
	if (na.d)
		analysis__free(&na);
	sdata__free(&bd);
	sdata__free(&nd);
	return ret;
}
