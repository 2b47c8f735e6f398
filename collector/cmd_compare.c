// SPDX-License-Identifier: MIT
/*
 * cmd_compare.c: `phaseprof compare`: the differential method of WarpDiff
 * (ASE 2023) in one command. The same app runs on several runtimes, N times
 * each, interleaved (round r runs every runtime once, the order rotating), each
 * run through `phaseprof record` as a child. Per runtime and phase: median,
 * min, max and spread (MAD). Every run's stdout and exit status must match
 * the first; a mismatch is flagged loudly. Phase anomalies are ranked by
 * WarpDiff's normalisation (a runtime's median over the cross-runtime mean) and
 * scored in units of the runs' own spread, so noise is not called an anomaly.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PR_DOMAIN "compare"
#include "cmdutil.h"
#include "commands.h"
#include "exitcodes.h"
#include "flamegraph.h"
#include "json.h"
#include "jsonread.h"
#include "log.h"
#include "options.h"
#include "outfile.h"
#include "vec.h"
#include "fileread.h"
#include "phases.h"
#include "profile.h"

#define DEFAULT_RUNS 5
#define DEFAULT_WARMUP 1
#define MAX_RUNTIMES 16
#define MAX_PASS 32
/* a phase median this far from the others' mean, in units of their pooled spread, is an anomaly */
#define ANOMALY_SCORE 3.0
/* ... and this many times the cross-runtime mean at least (WarpDiff's normalised value) */
#define ANOMALY_RATIO 1.2
/* spread floor: timer and scheduling jitter below this is not a signal (ms) */
#define NOISE_FLOOR_MS 0.05
#define PHASE_RUN PP_PHASE_COUNT /* the whole run, as one more "phase" */
#define NSTAT (PP_PHASE_COUNT + 1)

enum { OPT_WARMUP = 256, OPT_KEEP_CACHE, OPT_OPTION, OPT_DEBUGINFO, OPT_CPU };

const struct opt_doc compare_options[] = {
	{ "runtimes", 'x', "RT1,RT2,...", "the runtimes to compare: names on PATH or paths" },
	{ "runs", 'n', "N", "measured runs per runtime (default " STRINGIFY(DEFAULT_RUNS) ")" },
	{ "warmup", OPT_WARMUP, "K",
	  "unmeasured runs per runtime first (default " STRINGIFY(DEFAULT_WARMUP) ")" },
	{ "output", 'o', "DIR", "write DIR/compare.json, compare.csv and each run (default: a new temp dir)" },
	{ "cpu", OPT_CPU, NULL, "compare CPU time instead of wall time" },
	{ "keep-cache", OPT_KEEP_CACHE, NULL, "leave runtimes' compilation caches on (passed to record)" },
	{ "option", OPT_OPTION, "NAME=on|off", "set a profile option in every runtime that has it (passed to record)" },
	{ "debuginfo", OPT_DEBUGINFO, "DIR", "look for debug files in DIR first (passed to record)" },
	{ "verbose", 'v', NULL, "say more; show each record's report" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char compare_usage[] =
	"usage: phaseprof compare -x RT1,RT2,... [options] -- APP.wasm [ARGS...]\n"
	"\n"
	"Run APP on each runtime N times, interleaved, under `phaseprof record`;\n"
	"report per runtime and phase the median, min, max and spread; check that\n"
	"every run printed the same stdout and exit status; rank the phases in which\n"
	"a runtime is slower than the others beyond the noise of its own runs.\n";

static const char compare_examples[] =
	"examples:\n"
	"  sudo phaseprof compare -x wasmtime,wasmer,iwasm,wasm3 -- app.wasm\n"
	"  sudo phaseprof compare -x node,wasm-interp -n 10 --warmup 2 -o out -- app.wasm\n"
	"\n"
	"exit status: 0 when every runtime ran every time with the same output; 1 when\n"
	"outputs or exit statuses differ or a runtime's record failed; 64 usage; 125 other\n"
	"failure.\n";

struct sample {
	double ms[NSTAT];
	bool measured[NSTAT]; /* the profile has sites for it (startup, teardown, run: always) */
};

struct stat_row {
	size_t n;
	double median, min, max, mad;
	double ratio, score, others; /* anomaly: median / mean, distance in spreads, others' mean */
	bool measured, anomaly;
};

struct rt {
	char name[256]; /* as given */
	char label[64]; /* for file names: the base name */
	char version[128], build_id[129], profile[64];
	struct sample *samples;
	size_t nsamples;
	size_t failures;
	int last_failure_status;
	char last_failure[512];
	size_t mismatches;
	struct stat_row st[NSTAT];
	char folded[PATH_MAX]; /* a copy of one run's stacks.folded, or "" */
	char *folded_text;     /* ... as read once from that run's folder */
	size_t folded_len;
	int dirfd;             /* DIR/LABEL, the runtime's folder */
};

struct compare_opts {
	char *runtimes_arg;
	unsigned runs, warmup;
	const char *output;
	bool cpu, keep_cache;
	const char *pass[MAX_PASS]; /* options passed on to record */
	size_t npass;
	char *owned[MAX_PASS]; /* the strings among them made here */
	size_t nowned;
	char **app;
	size_t napp;
};

struct mismatch {
	char who[300], ref_who[300];
	bool stdout_differs; /* else the exit status does */
	size_t bytes, ref_bytes, at;
	int status, ref_status;
};

struct reference {
	bool have;
	char *out;
	size_t len;
	int status;
	char who[300];
	struct mismatch *mm;
	size_t nmm, mm_cap;
};

static int parse_count(const char *arg, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (!*arg || *end || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* NAME=VALUE passed to record as NAME?=VALUE: set where the runtime's profile has it */
static int pass_option(struct compare_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *s;

	if (!eq || eq == arg || eq[-1] == '?' || o->nowned == MAX_PASS)
		return -EINVAL;
	if (asprintf(&s, "%.*s?%s", (int)(eq - arg), arg, eq) < 0)
		return -ENOMEM;
	o->owned[o->nowned++] = s;
	o->pass[o->npass++] = "--option";
	o->pass[o->npass++] = s;
	return 0;
}

static int parse_opts(int argc, char **argv, struct compare_opts *o, bool *done)
{
	struct option longopts[16];
	char shortopts[32];
	int c;

	options_build(compare_options, longopts, shortopts, sizeof(shortopts));
	memset(o, 0, sizeof(*o));
	o->runs = DEFAULT_RUNS;
	o->warmup = DEFAULT_WARMUP;
	*done = false;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (o->npass + 2 > MAX_PASS)
			return cmd_usage_error("compare", "too many options to pass on to record%s", "");
		switch (c) {
		case 'x': o->runtimes_arg = optarg; break;
		case 'o': o->output = optarg; break;
		case OPT_CPU: o->cpu = true; break;
		case 'n':
			if (parse_count(optarg, 10000, &o->runs) || !o->runs)
				return cmd_usage_error("compare", "-n takes a number of runs from 1 to 10000, not '%s'",
						   optarg);
			break;
		case OPT_WARMUP:
			if (parse_count(optarg, 1000, &o->warmup))
				return cmd_usage_error("compare", "--warmup takes a number from 0 to 1000, not '%s'",
						   optarg);
			break;
		/* every runtime gets them, so only where its profile has the option (NAME?=) */
		case OPT_KEEP_CACHE:
			o->keep_cache = true;
			o->pass[o->npass++] = "--option";
			o->pass[o->npass++] = "no-cache?=off";
			break;
		case OPT_OPTION:
			if (pass_option(o, optarg))
				return cmd_usage_error("compare", "--option takes NAME=on|off, not '%s'", optarg);
			break;
		case OPT_DEBUGINFO:
			o->pass[o->npass++] = "--debuginfo";
			o->pass[o->npass++] = optarg;
			break;
		case 'v': log_verbosity++; break;
		case 'h':
			options_help(stdout, compare_usage, compare_options, compare_examples);
			*done = true;
			return PP_EXIT_OK;
		case ':':
			return cmd_usage_error("compare", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cmd_usage_error("compare", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!o->runtimes_arg)
		return cmd_usage_error("compare", "no runtimes given; use -x RT1,RT2,...%s", "");
	o->app = argv + optind;
	o->napp = argc - optind;
	if (!o->napp)
		return cmd_usage_error("compare", "no app given; put it after --: -- APP.wasm ARGS...%s", "");
	return 0;
}

static int split_runtimes(char *arg, struct rt **out, size_t *n)
{
	struct rt *v = calloc(MAX_RUNTIMES, sizeof(*v));
	char *save = NULL, *tok;

	if (!v)
		return -ENOMEM;
	*n = 0;
	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *base = strrchr(tok, '/') ? strrchr(tok, '/') + 1 : tok;

		if (!*tok)
			continue;
		if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || *n == MAX_RUNTIMES) {
			free(v);
			return -E2BIG;
		}
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", tok);
		snprintf(v[*n].label, sizeof(v[*n].label), "%s", base);
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(v[i].label, v[*n].label))
				snprintf(v[*n].label, sizeof(v[*n].label), "%s-%zu", base, *n + 1);
		(*n)++;
	}
	*out = v;
	return *n ? 0 : -EINVAL;
}

/* what compare reads back of a run: its stdout, stderr, stacks.folded */
#define COMPARE_MAX_FILE (256 << 20)

/* All of fd from its start (a run's stdout or stderr: the descriptor it was written through). */
static char *read_fd(int fd, size_t *len)
{
	char *text = NULL;

	*len = 0;
	if (lseek(fd, 0, SEEK_SET) < 0 || read_whole_fd(fd, COMPARE_MAX_FILE, &text, len))
		return strdup("");
	return text;
}

/* A regular file dirfd/name, never through a symlink or a FIFO; NULL if it is not one. */
static char *read_file_at(int dirfd, const char *name, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *text = NULL;

	*len = 0;
	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode))
		text = read_fd(fd, len);
	close(fd);
	return text;
}

/* DIR/NAME as a directory of ours: made if missing, never a symlink. fd or -errno. */
static int subdir_open(int dirfd, const char *name)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Run `phaseprof record` on one runtime; stdout and stderr to files. The child's status. */
static int run_record(const struct compare_opts *o, const struct rt *r, const char *dir,
		      int out, int err)
{
	char *argv[MAX_PASS + 16 + 1024];
	size_t n = 0;
	pid_t pid;
	int status;

	if (o->napp > 1000)
		return -E2BIG;
	argv[n++] = "phaseprof";
	argv[n++] = "record";
	argv[n++] = "-x";
	argv[n++] = (char *)r->name;
	argv[n++] = "-o";
	argv[n++] = (char *)dir;
	for (size_t i = 0; i < o->npass; i++)
		argv[n++] = (char *)o->pass[i];
	argv[n++] = "--";
	for (size_t i = 0; i < o->napp; i++)
		argv[n++] = o->app[i];
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);

		if (in < 0)
			_exit(PP_EXIT_FAILURE);
		dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		execv("/proc/self/exe", argv);
		_exit(PP_EXIT_FAILURE);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The last "phaseprof: " line record printed: why it failed. */
static void last_phaseprof_line(int err_fd, char *out, size_t len)
{
	size_t n;
	char *text = read_fd(err_fd, &n), *line, *save = NULL;

	out[0] = '\0';
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "phaseprof: ", 11) && !strstr(line, " exited with status ") &&
		    !strstr(line, " killed by signal "))
			snprintf(out, len, "%s", line + 11);
	free(text);
}

static bool phase_measured(const struct jr_node *probes, const char *phase)
{
	for (const struct jr_node *p = probes ? probes->child : NULL; p; p = p->next)
		if (!strcmp(jr_str(jr_get(p, "phase")) ?: "", phase) &&
		    strcmp(jr_str(jr_get(p, "status")) ?: "", "unresolved"))
			return true;
	return false;
}

/* Any phase name a run reports, the fallback's unknown included; -1 for none. */
static int phase_index(const char *name)
{
	for (int ph = 0; ph < PP_PHASE_COUNT; ph++)
		if (!strcmp(name, phase__name(ph)))
			return ph;
	return -1;
}

/* One run's phases from its phases.json. 0, or -1 with why. */
static int read_sample(const char *path, bool cpu, struct rt *r, struct sample *s, int *status,
		       char *why, size_t whylen)
{
	struct jr_node *doc = jr_parse_file(path, why, whylen);
	const struct jr_node *phases, *probes, *rt;
	const char *key = cpu ? "cpu_ns" : "wall_ns";
	bool fallback;

	if (!doc)
		return -1;
	phases = jr_get(doc, "phases");
	probes = jr_get(doc, "probes");
	fallback = jr_get(doc, "fallback") && jr_get(doc, "fallback")->type == JR_OBJECT;
	rt = jr_get(doc, "runtime");
	memset(s, 0, sizeof(*s));
	for (const struct jr_node *p = phases ? phases->child : NULL; p; p = p->next) {
		int ph = phase_index(jr_str(jr_get(p, "name")) ?: "");
		const struct jr_node *seen = jr_get(p, "seen");

		if (ph < 0)
			continue;
		s->ms[ph] = jr_num(jr_get(p, key), 0) / 1e6;
		/* the generic fallback says which phases it saw; a profile's are its probes' */
		if (fallback)
			s->measured[ph] = seen && seen->type == JR_BOOL && seen->b;
		else
			s->measured[ph] = ph == PP_PHASE_STARTUP || ph == PP_PHASE_TEARDOWN ||
					  phase_measured(probes, phase__name(ph));
	}
	s->ms[PHASE_RUN] = jr_num(jr_get(doc, key), 0) / 1e6;
	s->measured[PHASE_RUN] = true;
	*status = (int)jr_num(jr_get(doc, "exit_status"), -1);
	snprintf(r->version, sizeof(r->version), "%s", jr_str(jr_get(rt, "version")) ?: "");
	snprintf(r->build_id, sizeof(r->build_id), "%s", jr_str(jr_get(rt, "build_id")) ?: "");
	snprintf(r->profile, sizeof(r->profile), "%s", jr_str(jr_get(rt, "name")) ?: "");
	jr_free(doc);
	return 0;
}

static size_t first_difference(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < alen && i < blen && a[i] == b[i]; i++)
		;
	return i;
}

static void add_mismatch(struct reference *ref, const struct mismatch *m)
{
	struct mismatch *v = vec_grow(ref->mm, ref->nmm, &ref->mm_cap, sizeof(*v), 8);

	if (!v)
		return;
	ref->mm = v;
	ref->mm[ref->nmm++] = *m;
}

/* Compare a run's stdout and status with the reference (the first good run); loud on mismatch. */
static void check_output(struct reference *ref, struct rt *r, const char *which,
			 int out_fd, int status)
{
	struct mismatch m = { 0 };
	size_t len;
	char *out = read_fd(out_fd, &len);

	snprintf(m.who, sizeof(m.who), "%s %s", r->label, which);
	if (!ref->have) {
		ref->have = true;
		ref->out = out ? out : strdup("");
		ref->len = len;
		ref->status = status;
		snprintf(ref->who, sizeof(ref->who), "%s", m.who);
		return;
	}
	snprintf(m.ref_who, sizeof(m.ref_who), "%s", ref->who);
	m.status = status;
	m.ref_status = ref->status;
	m.bytes = len;
	m.ref_bytes = ref->len;
	if (len != ref->len || (len && memcmp(out, ref->out, len))) {
		m.at = first_difference(ref->out, ref->len, out ? out : "", len);
		m.stdout_differs = true;
		fprintf(stderr, "phaseprof: MISMATCH: %s printed a different stdout than %s "
				"(%zu vs %zu bytes, first difference at byte %zu)\n",
			m.who, ref->who, len, ref->len, m.at);
		add_mismatch(ref, &m);
		r->mismatches++;
	}
	if (status != ref->status) {
		m.stdout_differs = false;
		fprintf(stderr, "phaseprof: MISMATCH: %s exited with status %d, %s with %d\n",
			m.who, status, ref->who, ref->status);
		add_mismatch(ref, &m);
		r->mismatches++;
	}
	free(out);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void compute_stats(struct rt *r)
{
	double *v = calloc(r->nsamples ? r->nsamples : 1, sizeof(*v));

	if (!v)
		return;
	for (int ph = 0; ph < NSTAT; ph++) {
		struct stat_row *st = &r->st[ph];

		memset(st, 0, sizeof(*st));
		st->n = r->nsamples;
		if (!r->nsamples)
			continue;
		st->measured = r->samples[0].measured[ph];
		for (size_t i = 0; i < r->nsamples; i++)
			v[i] = r->samples[i].ms[ph];
		st->median = median_of(v, r->nsamples);
		st->min = v[0];
		st->max = v[r->nsamples - 1];
		for (size_t i = 0; i < r->nsamples; i++)
			v[i] = fabs(v[i] - st->median);
		st->mad = median_of(v, r->nsamples);
	}
	free(v);
}

/* A runtime's noise, as a standard deviation: 1.4826 MAD, floored. */
static double sigma(const struct stat_row *st)
{
	double s = 1.4826 * st->mad;

	return s > NOISE_FLOOR_MS ? s : NOISE_FLOOR_MS;
}

/*
 * WarpDiff normalises each case's vector of times across runtimes by its mean;
 * the runtime farthest from 1 is the suspect. One app here, so the "cases" are
 * the phases. Better than a ratio alone: the distance between a runtime's
 * median and the mean of the others', in units of the pooled spread of both,
 * so that a phase that only wobbles is not called slow.
 */
static void rank_anomalies(struct rt *v, size_t n)
{
	for (int ph = 0; ph < NSTAT; ph++) {
		double sum = 0;
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (v[i].nsamples && v[i].st[ph].measured) {
				sum += v[i].st[ph].median;
				k++;
			}
		for (size_t i = 0; i < n; i++) {
			struct stat_row *st = &v[i].st[ph];
			double others = 0, var = 0, mean = k ? sum / k : 0;

			if (!v[i].nsamples || !st->measured || k < 2)
				continue;
			for (size_t j = 0; j < n; j++)
				if (j != i && v[j].nsamples && v[j].st[ph].measured) {
					others += v[j].st[ph].median;
					var += sigma(&v[j].st[ph]) * sigma(&v[j].st[ph]);
				}
			others /= k - 1;
			var /= k - 1;
			st->others = others;
			st->ratio = mean > 0 ? st->median / mean : 0;
			st->score = (st->median - others) / sqrt(sigma(st) * sigma(st) + var);
			st->anomaly = st->score >= ANOMALY_SCORE && st->ratio >= ANOMALY_RATIO;
		}
	}
}

static const char *stat_name(int ph)
{
	return ph == PHASE_RUN ? "run" : phase__name(ph);
}

static void print_table(const struct rt *v, size_t n, const struct compare_opts *o)
{
	printf("%s ms per phase: median [min..max] ±MAD over %u run%s (%u warm-up)\n",
	       o->cpu ? "cpu" : "wall", o->runs, o->runs == 1 ? "" : "s", o->warmup);
	printf("  %-12s", "phase");
	for (size_t i = 0; i < n; i++)
		printf(" %28.28s", v[i].label);
	printf("\n");
	for (int ph = 0; ph < NSTAT; ph++) {
		printf("  %-12s", stat_name(ph));
		for (size_t i = 0; i < n; i++) {
			const struct stat_row *st = &v[i].st[ph];
			char cell[64];

			if (!v[i].nsamples)
				snprintf(cell, sizeof(cell), "(failed)");
			else if (!st->measured)
				snprintf(cell, sizeof(cell), "-");
			else
				snprintf(cell, sizeof(cell), "%s%.2f [%.2f..%.2f] ±%.2f",
					 st->anomaly ? "!" : "", st->median, st->min, st->max,
					 st->mad);
			printf(" %28s", cell);
		}
		printf("\n");
	}
}

struct ranked {
	const struct rt *r;
	int ph;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	double sx = x->r->st[x->ph].score, sy = y->r->st[y->ph].score;

	return sx > sy ? -1 : sx < sy;
}

static size_t ranking(const struct rt *v, size_t n, struct ranked *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		for (int ph = 0; ph < NSTAT; ph++)
			if (v[i].nsamples && v[i].st[ph].measured && v[i].st[ph].others > 0)
				out[k++] = (struct ranked){ &v[i], ph };
	qsort(out, k, sizeof(*out), cmp_ranked);
	return k;
}

static void print_anomalies(const struct ranked *rk, size_t k)
{
	size_t shown = 0;

	printf("anomalies (median vs the others' mean, in units of pooled spread; "
	       "flagged at >= %.0f and %.1fx the mean):\n", ANOMALY_SCORE, ANOMALY_RATIO);
	for (size_t i = 0; i < k && shown < 10; i++) {
		const struct stat_row *st = &rk[i].r->st[rk[i].ph];

		if (st->score <= 0)
			break;
		printf("  %s %-12s %-12s %10.2f ms vs %10.2f ms  %5.2fx mean  score %7.1f\n",
		       st->anomaly ? "!" : " ", rk[i].r->label, stat_name(rk[i].ph), st->median,
		       st->others, st->ratio, st->score);
		shown++;
	}
	if (!shown)
		printf("  none: no runtime is slower than the others in any phase\n");
}

/* snprintf for paths: -ENAMETOOLONG rather than a silently shortened name */
static int __attribute__((format(printf, 3, 4))) path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void json_stat(struct json *j, const char *key, const struct stat_row *st,
		      const struct rt *r, int ph)
{
	json_begin_object(j, key);
	json_bool(j, "measured", st->measured);
	json_u64(j, "n", st->n);
	json_double(j, "median_ms", st->median);
	json_double(j, "min_ms", st->min);
	json_double(j, "max_ms", st->max);
	json_double(j, "mad_ms", st->mad);
	json_double(j, "ratio", st->ratio);
	json_double(j, "score", st->score);
	json_bool(j, "anomaly", st->anomaly);
	json_begin_array(j, "samples_ms");
	for (size_t i = 0; i < r->nsamples; i++)
		json_double(j, NULL, r->samples[i].ms[ph]);
	json_end_array(j);
	json_end_object(j);
}

static void json_mismatches(struct json *j, const struct reference *ref)
{
	json_begin_array(j, "mismatches");
	for (size_t i = 0; i < ref->nmm; i++) {
		const struct mismatch *m = &ref->mm[i];

		json_begin_object(j, NULL);
		json_string(j, "run", m->who);
		json_string(j, "reference", m->ref_who);
		json_string(j, "what", m->stdout_differs ? "stdout" : "exit_status");
		json_u64(j, "bytes", m->bytes);
		json_u64(j, "reference_bytes", m->ref_bytes);
		if (m->stdout_differs)
			json_u64(j, "first_difference", m->at);
		json_i64(j, "exit_status", m->status);
		json_i64(j, "reference_exit_status", m->ref_status);
		json_end_object(j);
	}
	json_end_array(j);
}

static void json_runtime(struct json *j, const struct rt *r)
{
	json_begin_object(j, NULL);
	json_string(j, "name", r->label);
	json_string(j, "runtime", r->name);
	json_string(j, "profile", r->profile[0] ? r->profile : NULL);
	json_string(j, "version", r->version[0] ? r->version : NULL);
	json_string(j, "build_id", r->build_id[0] ? r->build_id : NULL);
	json_u64(j, "runs", r->nsamples);
	json_u64(j, "failures", r->failures);
	json_string(j, "error", r->failures ? r->last_failure : NULL);
	json_u64(j, "mismatches", r->mismatches);
	json_string(j, "stacks", r->folded[0] ? r->folded : NULL);
	json_begin_object(j, "phases");
	for (int ph = 0; ph < NSTAT; ph++)
		json_stat(j, stat_name(ph), &r->st[ph], r, ph);
	json_end_object(j);
	json_end_object(j);
}

static void json_anomalies(struct json *j, const struct ranked *rk, size_t k)
{
	json_begin_array(j, "anomalies");
	for (size_t i = 0; i < k; i++) {
		const struct stat_row *st = &rk[i].r->st[rk[i].ph];

		json_begin_object(j, NULL);
		json_string(j, "runtime", rk[i].r->label);
		json_string(j, "phase", stat_name(rk[i].ph));
		json_double(j, "median_ms", st->median);
		json_double(j, "others_mean_ms", st->others);
		json_double(j, "ratio", st->ratio);
		json_double(j, "score", st->score);
		json_bool(j, "anomaly", st->anomaly);
		json_end_object(j);
	}
	json_end_array(j);
}

static int write_json(FILE *f, const struct rt *v, size_t n, const struct compare_opts *o,
		      const struct ranked *rk, size_t k, const struct reference *ref)
{
	struct json j;

	json_init(&j, f, true);
	json_begin_object(&j, NULL);
	json_string(&j, "metric", o->cpu ? "cpu" : "wall");
	json_u64(&j, "runs", o->runs);
	json_u64(&j, "warmup", o->warmup);
	json_begin_array(&j, "app");
	for (size_t i = 0; i < o->napp; i++)
		json_string(&j, NULL, o->app[i]);
	json_end_array(&j);
	json_bool(&j, "outputs_match", ref->have && !ref->nmm);
	json_i64(&j, "exit_status", ref->have ? ref->status : -1);
	json_string(&j, "reference_run", ref->have ? ref->who : NULL);
	json_mismatches(&j, ref);
	json_begin_array(&j, "runtimes");
	for (size_t i = 0; i < n; i++)
		json_runtime(&j, &v[i]);
	json_end_array(&j);
	json_anomalies(&j, rk, k);
	json_end_object(&j);
	json_finish(&j);
	return 0;
}

static void write_csv(FILE *f, const struct rt *v, size_t n)
{
	fprintf(f, "runtime,phase,measured,n,median_ms,min_ms,max_ms,mad_ms,ratio,score,anomaly\n");
	for (size_t i = 0; i < n; i++)
		for (int ph = 0; ph < NSTAT; ph++) {
			const struct stat_row *st = &v[i].st[ph];

			fprintf(f, "%s,%s,%d,%zu,%.6f,%.6f,%.6f,%.6f,%.4f,%.3f,%d\n", v[i].label,
				stat_name(ph), st->measured, st->n, st->median, st->min, st->max,
				st->mad, st->ratio, st->score, st->anomaly);
		}
}

/* compare.json and compare.csv, each written to a temporary and renamed (outfile.h) */
static int write_results(int dirfd, const struct rt *v, size_t n, const struct compare_opts *o,
			 const struct ranked *rk, size_t k, const struct reference *ref)
{
	struct outfile out;
	int err = outfile_begin(&out, dirfd, "compare.json");

	if (err)
		return err;
	write_json(out.f, v, n, o, rk, k, ref);
	err = outfile_commit(&out);
	if (err)
		return err;
	err = outfile_begin(&out, dirfd, "compare.csv");
	if (err)
		return err;
	write_csv(out.f, v, n);
	return outfile_commit(&out);
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

/* The last measured run's stacks, read once from its folder and kept as DIR/LABEL.folded. */
static void keep_stacks(int dirfd, const char *dir, struct rt *r, unsigned last_run)
{
	char name[80];
	int runfd;

	snprintf(name, sizeof(name), "run-%u", last_run);
	runfd = openat(r->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (runfd < 0)
		return;
	r->folded_text = read_file_at(runfd, "stacks.folded", &r->folded_len);
	close(runfd);
	if (!r->folded_text)
		return;
	snprintf(name, sizeof(name), "%s.folded", r->label);
	if (path_fmt(r->folded, sizeof(r->folded), "%s/%s", dir, name) ||
	    put_text(dirfd, name, r->folded_text, r->folded_len))
		r->folded[0] = '\0';
}

/* DIR/A-vs-B.svg, drawn from the texts in memory */
static void draw_diff(int dirfd, const char *dir, const struct rt *fastest, const struct rt *r)
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

/* Keep one run's stacks (the last measured one) and draw diff flame graphs against the fastest. */
static void collect_stacks(int dirfd, const char *dir, struct rt *v, size_t n, unsigned last_run)
{
	const struct rt *fastest = NULL;

	for (size_t i = 0; i < n; i++) {
		keep_stacks(dirfd, dir, &v[i], last_run);
		if (v[i].folded[0] && v[i].nsamples &&
		    (!fastest || v[i].st[PHASE_RUN].median < fastest->st[PHASE_RUN].median))
			fastest = &v[i];
	}
	if (!fastest) {
		pr_debug("no stacks.folded in the runs' directories: no flame graphs");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (&v[i] != fastest && v[i].folded[0])
			draw_diff(dirfd, dir, fastest, &v[i]);
}

/* A run folder name of ours: "run-N" or "warmup-N", alone or with .stdout/.stderr; N, or -1. */
static long run_index(const char *name, bool *warmup, bool *folder)
{
	const char *p = name, *q;
	char *end;
	long k;

	*warmup = !strncmp(p, "warmup-", 7);
	if (!*warmup && strncmp(p, "run-", 4))
		return -1;
	p += *warmup ? 7 : 4;
	if (*p < '0' || *p > '9')
		return -1;
	k = strtol(p, &end, 10);
	q = end;
	*folder = !*q;
	return *folder || !strcmp(q, ".stdout") || !strcmp(q, ".stderr") ? k : -1;
}

/* A run folder of an earlier compare: the files record writes there, then the folder if empty. */
static void remove_run_folder(int dirfd, const char *name)
{
	static const char *const ours[] = { "phases.json",   "stacks.folded", "flamegraph.svg",
					    "trace.json",    "timeline.svg",  "profile.pb.gz",
					    "offcpu.folded", "offcpu.svg" };
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		unlinkat(fd, ours[i], 0);
	close(fd);
	unlinkat(dirfd, name, AT_REMOVEDIR); /* fails, harmlessly, if the user put files there */
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

/*
 * A reused DIR keeps nothing of an earlier compare that this one will not
 * rewrite: run folders past this one's counts, and the stacks and diff graphs
 * of its runtimes (made again below only when the runs have stacks).
 */
static void remove_stale(int dirfd, const struct rt *r, const struct compare_opts *o)
{
	char name[160];
	struct dirent *de;
	int fd = dup(r->dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		bool warmup, folder;
		long k = run_index(de->d_name, &warmup, &folder);

		if (k < 0 || k < (long)(warmup ? o->warmup : o->runs))
			continue;
		if (folder)
			remove_run_folder(r->dirfd, de->d_name);
		else
			unlinkat(r->dirfd, de->d_name, 0);
	}
	closedir(d);
	snprintf(name, sizeof(name), "%s.folded", r->label);
	unlinkat(dirfd, name, 0);
	remove_diffs_of(dirfd, r->label);
}

/* RUN.stdout and RUN.stderr in the runtime's folder, opened once and read back through the same fds */
static int open_run_files(const struct rt *r, const char *run, int *out, int *err)
{
	char name[96];

	snprintf(name, sizeof(name), "%s.stdout", run);
	*out = openat(r->dirfd, name, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (*out < 0)
		return -errno;
	snprintf(name, sizeof(name), "%s.stderr", run);
	*err = openat(r->dirfd, name, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (*err < 0) {
		int e = -errno;

		close(*out);
		return e;
	}
	return 0;
}

/* An earlier compare's phases.json in RUN/ must not pass for this run's if record fails. */
static void forget_result(const struct rt *r, const char *run)
{
	int fd = openat(r->dirfd, run, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	unlinkat(fd, "phases.json", 0);
	close(fd);
}

/* A run that wrote no phases.json: remember why, say it the first time. */
static void run_failed(struct rt *r, int status, int err_fd, const char *dir, const char *run)
{
	r->failures++;
	r->last_failure_status = status;
	last_phaseprof_line(err_fd, r->last_failure, sizeof(r->last_failure));
	if (!r->last_failure[0])
		snprintf(r->last_failure, sizeof(r->last_failure),
			 "record exited with status %d and wrote no phases.json", status);
	if (r->failures == 1)
		pr_err("%s: record failed (status %d): %s; see %s/%s/%s.stderr; going on with the "
		       "other runtimes",
		       r->label, status, r->last_failure, dir, r->label, run);
}

/* One record of runtime r: 0, or -errno when phaseprof itself could not be run. */
static int one_run(const struct compare_opts *o, const char *dir, struct rt *r, bool warm,
		   unsigned k, struct reference *ref)
{
	char run[32], rundir[PATH_MAX], json[PATH_MAX + 16], why[512], which[32];
	int status, exit_status, out = -1, err = -1;

	snprintf(run, sizeof(run), "%s-%u", warm ? "warmup" : "run", k);
	if (path_fmt(rundir, sizeof(rundir), "%s/%s/%s", dir, r->label, run))
		return -ENAMETOOLONG;
	snprintf(json, sizeof(json), "%s/phases.json", rundir);
	if (log_verbosity)
		fprintf(stderr, "phaseprof: %s %s %u\n", r->label, warm ? "warm-up" : "run", k);
	status = open_run_files(r, run, &out, &err);
	if (status)
		return status;
	forget_result(r, run);
	status = run_record(o, r, rundir, out, err);
	if (status >= 0 && read_sample(json, o->cpu, r,
				       warm ? &(struct sample){ 0 } : &r->samples[r->nsamples],
				       &exit_status, why, sizeof(why))) {
		run_failed(r, status, err, dir, run);
	} else if (status >= 0) {
		r->nsamples += !warm;
		snprintf(which, sizeof(which), "%s %u", warm ? "warm-up" : "run", k);
		check_output(ref, r, which, out, exit_status);
	}
	close(out);
	close(err);
	return status < 0 ? status : 0;
}

/* Every round runs every runtime once; the order rotates so none always goes first. */
static int run_all(const struct compare_opts *o, int dirfd, const char *dir, struct rt *v,
		   size_t n, struct reference *ref)
{
	unsigned rounds = o->warmup + o->runs;

	for (size_t i = 0; i < n; i++) {
		v[i].samples = calloc(o->runs, sizeof(*v[i].samples));
		if (!v[i].samples)
			return -ENOMEM;
		v[i].dirfd = subdir_open(dirfd, v[i].label);
		if (v[i].dirfd < 0) {
			pr_err("cannot use '%s/%s' for %s's runs: %s", dir, v[i].label, v[i].label,
			       strerror(-v[i].dirfd));
			return v[i].dirfd;
		}
		remove_stale(dirfd, &v[i], o);
	}
	for (unsigned round = 0; round < rounds; round++) {
		bool warm = round < o->warmup;
		unsigned run = warm ? round : round - o->warmup;

		for (size_t k = 0; k < n; k++) {
			int err = one_run(o, dir, &v[(k + round) % n], warm, run, ref);

			if (err) {
				pr_err("cannot run phaseprof record: %s", strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

/* DIR (made with its parents if missing) or a new temporary one, checked before any run. fd or -1. */
static int open_compare_dir(const struct compare_opts *o, char *dir, size_t len)
{
	int fd, err;

	if (o->output) {
		snprintf(dir, len, "%s", o->output);
	} else {
		snprintf(dir, len, "%s/phaseprof-compare.XXXXXX", getenv("TMPDIR") ?: "/tmp");
		if (!mkdtemp(dir)) {
			pr_err("cannot create a temporary directory: %s", strerror(errno));
			return -1;
		}
		fprintf(stderr, "phaseprof: results and every run's output go to %s\n", dir);
	}
	fd = outdir_open(dir);
	err = fd < 0 ? fd : outdir_check_writable(fd);
	if (!err)
		return fd;
	pr_err("cannot use '%s' for output: %s; choose a directory you can write to", dir,
	       strerror(-err));
	if (fd >= 0)
		close(fd);
	return -1;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_opts o;
	struct reference ref = { 0 };
	struct rt *v = NULL;
	struct ranked *rk = NULL;
	char dir[PATH_MAX];
	size_t n = 0, k = 0, failed = 0, mismatches = 0;
	int dirfd;
	bool done;
	int ret = parse_opts(argc, argv, &o, &done);

	if (ret || done)
		return ret;
	ret = split_runtimes(o.runtimes_arg, &v, &n);
	if (ret)
		return ret == -ENOMEM ? PP_EXIT_FAILURE :
		       cmd_usage_error("compare", "-x takes 1 to 16 runtimes separated by commas, not '%s'",
				   o.runtimes_arg);
	for (size_t i = 0; i < n; i++)
		v[i].dirfd = -1;
	dirfd = open_compare_dir(&o, dir, sizeof(dir));
	if (dirfd < 0) {
		free(v);
		return PP_EXIT_FAILURE;
	}
	ret = run_all(&o, dirfd, dir, v, n, &ref);
	for (size_t i = 0; i < n; i++) {
		compute_stats(&v[i]);
		failed += v[i].failures > 0;
		mismatches += v[i].mismatches;
	}
	rank_anomalies(v, n);
	rk = calloc(n * NSTAT + 1, sizeof(*rk));
	if (rk)
		k = ranking(v, n, rk);
	collect_stacks(dirfd, dir, v, n, o.runs - 1);
	if (!ret) {
		print_table(v, n, &o);
		print_anomalies(rk, k);
		for (size_t i = 0; i < n; i++)
			if (v[i].failures)
				printf("  %s: %zu of %u runs failed: %s\n", v[i].label, v[i].failures,
				       o.warmup + o.runs, v[i].last_failure);
		ret = write_results(dirfd, v, n, &o, rk, k, &ref);
		if (ret)
			pr_err("cannot write results in '%s': %s", dir, strerror(-ret));
		if (mismatches)
			fprintf(stderr, "phaseprof: MISMATCH: the runtimes' outputs or exit statuses "
					"differ (%zu mismatch%s); timings compare different work\n",
				mismatches, mismatches == 1 ? "" : "es");
		printf("results: %s/compare.json %s/compare.csv\n", dir, dir);
	}
	for (size_t i = 0; i < n; i++) {
		free(v[i].samples);
		free(v[i].folded_text);
		if (v[i].dirfd >= 0)
			close(v[i].dirfd);
	}
	close(dirfd);
	for (size_t i = 0; i < o.nowned; i++)
		free(o.owned[i]);
	free(v);
	free(rk);
	free(ref.mm);
	free(ref.out);
	if (ret)
		return PP_EXIT_FAILURE;
	return failed || mismatches ? 1 : PP_EXIT_OK;
}
