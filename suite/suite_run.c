// SPDX-License-Identifier: MIT
/*
 * suite_run.c: `phaseprof suite run`: every case of a suite on every runtime,
 * N times, interleaved (each round runs every runtime once, the order
 * rotating), each run through `phaseprof record` as a child: record's
 * phases.json is read back and stored, one row per run, in
 * DIR/results.sqlite. `phaseprof compare` runs one app through it too, as a
 * suite of one case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PR_DOMAIN "suite"
#include "cmdutil.h"
#include "exitcodes.h"
#include "jsonread.h"
#include "log.h"
#include "options.h"
#include "outfile.h"
#include "suite.h"
#include "suite_file.h"
#include "suite_run.h"
#include "suite_store.h"

#define DEFAULT_RUNS 5
#define DEFAULT_WARMUP 1
#define MAX_RUNTIMES 16
#define STOP_GRACE_MS 2000 /* after a timeout: from the first signal to the next */

enum {
	OPT_WARMUP = RUN_OPT_WARMUP,
	OPT_DEBUGINFO = RUN_OPT_DEBUGINFO,
	OPT_CALL_GRAPH = RUN_OPT_CALL_GRAPH,
	OPT_BACKEND = RUN_OPT_BACKEND,
	OPT_SHARD = RUN_OPT_NEXT,
	OPT_DRILL,
	OPT_OPTION,
	OPT_KEEP_CACHE,
	OPT_GENERIC,
	OPT_AOT_COMPILER,
	OPT_NO_AOT_CACHE
};

const struct opt_doc suite_run_options[] = {
	{ "runtimes", 'x', "RT1,RT2,...",
	  "the runtimes: names on PATH or paths; NAME:aot compiles each case with NAME's AOT "
	  "compiler (wamrc for iwasm, wasmedgec for wasmedge) and runs the output" },
	{ "runs", 'n', "N",
	  "measured runs per case and runtime (default " STRINGIFY(DEFAULT_RUNS) ")" },
	{ "warmup", OPT_WARMUP, "K",
	  "unmeasured runs per case and runtime first (default " STRINGIFY(DEFAULT_WARMUP) ")" },
	{ "shard", OPT_SHARD, "K/N", "run only the K-th of N shards of the cases (K from 1)" },
	{ "drill", OPT_DRILL, "K",
	  "then re-run the top K anomalies with stacks: a differential flame graph of each, "
	  "restricted to the phase that drives it, in DIR/drill/" },
	{ "output", 'o', "DIR", "write DIR/results.sqlite and every run's folder (required)" },
	{ "freq", 'F', "HZ",
	  "sample stacks HZ times a second (passed to record; default 0: no stacks)" },
	{ "call-graph", OPT_CALL_GRAPH, "MODE", "passed to record" },
	{ "backend", OPT_BACKEND, "NAME", "passed to record" },
	{ "generic", OPT_GENERIC, NULL, "passed to record: use the generic fallback" },
	{ "option", OPT_OPTION, "NAME=on|off", "passed to record: set a profile option" },
	{ "keep-cache", OPT_KEEP_CACHE, NULL, "passed to record: leave compilation caches on" },
	{ "debuginfo", OPT_DEBUGINFO, "DIR", "passed to record" },
	{ "aot-compiler", OPT_AOT_COMPILER, "PATH",
	  "the AOT compiler of the :aot variants of its family (wamrc*, wasmedgec*), instead of "
	  "the one beside the runtime; repeatable" },
	{ "no-aot-cache", OPT_NO_AOT_CACHE, NULL,
	  "compile the :aot variants again instead of reusing DIR/aot-cache" },
	{ "verbose", 'v', NULL, "say more; show each run's record command" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char run_usage[] =
    "usage: phaseprof suite run -x RT1,RT2,... [options] -o DIR SUITE\n"
    "\n"
    "Run every case of SUITE (a suite file, see phaseprof-suite(5), or a directory\n"
    "of .wasm files) on every runtime N times, interleaved, under phaseprof record;\n"
    "store every run in DIR/results.sqlite (a new batch each time).\n";

static const char run_examples[] =
    "examples:\n"
    "  sudo phaseprof suite run -x wasm3,iwasm,node -n 5 -o out build/examples/suite\n"
    "  sudo phaseprof suite run -x node --shard 2/4 -o shard2 cases/\n"
    "  sudo phaseprof suite run -x wasm3,iwasm -n 10 --drill 3 -o out suite.suite\n"
    "  sudo phaseprof suite run -x iwasm,iwasm:aot,wasmedge,wasmedge:aot -o out cases/\n"
    "\n"
    "exit status: 0 when every run ran; 1 when a run failed or timed out; 64 usage;\n"
    "125 other failure.\n";

static int parse_count(const char *arg, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (!*arg || *end || v < min || v > max || *arg == '-')
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_shard(const char *arg, struct run_opts *o)
{
	char k[16];
	const char *slash = strchr(arg, '/');

	if (!slash || slash - arg >= (long)sizeof(k))
		return -EINVAL;
	snprintf(k, sizeof(k), "%.*s", (int)(slash - arg), arg);
	if (parse_count(k, 1, 100000, &o->shard_k) ||
	    parse_count(slash + 1, 1, 100000, &o->shard_n) || o->shard_k > o->shard_n)
		return -EINVAL;
	return 0;
}

int suite_pass_on(struct run_opts *o, const char *verb, const char *opt, const char *arg)
{
	if (o->npass + 2 > MAX_PASS)
		return cmd_usage_error(verb, "too many options to pass on to record%s", "");
	o->pass[o->npass++] = opt;
	if (arg)
		o->pass[o->npass++] = arg;
	return 0;
}

static int pass_on(struct run_opts *o, const char *opt, const char *arg)
{
	return suite_pass_on(o, "suite run", opt, arg);
}

int suite_run_option(int c, struct run_opts *o, const char *verb)
{
	switch (c) {
	case 'x':
		o->runtimes_arg = optarg;
		return 0;
	case 'o':
		o->output = optarg;
		return 0;
	case 'F':
		o->freq = optarg;
		return 0;
	case 'n':
		return parse_count(optarg, 1, 10000, &o->runs)
			   ? cmd_usage_error(verb,
					     "-n takes a number of runs from 1 to 10000, not '%s'",
					     optarg)
			   : 0;
	case RUN_OPT_WARMUP:
		return parse_count(optarg, 0, 1000, &o->warmup)
			   ? cmd_usage_error(verb, "--warmup takes a number from 0 to 1000, not '%s'",
					     optarg)
			   : 0;
	case RUN_OPT_DEBUGINFO:
		return suite_pass_on(o, verb, "--debuginfo", optarg);
	case RUN_OPT_CALL_GRAPH:
		return suite_pass_on(o, verb, "--call-graph", optarg);
	case RUN_OPT_BACKEND:
		return suite_pass_on(o, verb, "--backend", optarg);
	default:
		return -1;
	}
}

static int parse_opt(int c, void *ctx, char **argv)
{
	struct run_opts *o = ctx;
	int ret = suite_run_option(c, o, "suite run");

	(void)argv;
	if (ret >= 0)
		return ret;
	switch (c) {
	case OPT_SHARD:
		return parse_shard(optarg, o)
			   ? cmd_usage_error("suite run",
					     "--shard takes K/N with 1 <= K <= N, not '%s'", optarg)
			   : 0;
	case OPT_DRILL:
		return parse_count(optarg, 0, 1000, &o->drill)
			   ? cmd_usage_error("suite run",
					     "--drill takes a number from 0 to 1000, not '%s'",
					     optarg)
			   : 0;
	case OPT_GENERIC:
		return pass_on(o, "--generic", NULL);
	case OPT_OPTION:
		return pass_on(o, "--option", optarg);
	case OPT_KEEP_CACHE:
		return pass_on(o, "--keep-cache", NULL);
	case OPT_AOT_COMPILER:
		if (o->naot_compilers == MAX_PASS)
			return cmd_usage_error("suite run", "too many --aot-compiler%s", "");
		o->aot_compilers[o->naot_compilers++] = optarg;
		return 0;
	case OPT_NO_AOT_CACHE:
		o->no_aot_cache = true;
		return 0;
	case 'v':
		log_verbosity++;
		return 0;
	default:
		return 0;
	}
}

static int parse_opts(int argc, char **argv, struct run_opts *o, bool *done)
{
	static const struct opt_verb v = { "suite run", run_usage, suite_run_options, run_examples,
					   '+' };
	int ret;

	memset(o, 0, sizeof(*o));
	o->runs = DEFAULT_RUNS;
	o->warmup = DEFAULT_WARMUP;
	o->shard_k = o->shard_n = 1;
	o->freq = "0";
	ret = options_parse(argc, argv, &v, parse_opt, o, done);
	if (ret || *done)
		return ret;
	if (!o->runtimes_arg)
		return cmd_usage_error("suite run", "no runtimes given; use -x RT1,RT2,...%s", "");
	if (!o->output)
		return cmd_usage_error("suite run", "no output directory given; use -o DIR%s", "");
	if (argc - optind != 1)
		return cmd_usage_error("suite run",
				       "give exactly one SUITE (a file or a directory)%s", "");
	o->suite = argv[optind];
	return 0;
}

/* Runtimes from "a,b,c"; each labelled by its base name, made unique and safe for a file name. */
int suite_split_runtimes(char *arg, struct rt **out, size_t *n)
{
	struct rt *v = calloc(MAX_RUNTIMES, sizeof(*v));
	char *save = NULL, *tok;

	if (!v)
		return -ENOMEM;
	*n = 0;
	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *base = strrchr(tok, '/') ? strrchr(tok, '/') + 1 : tok;
		struct rt *r = &v[*n];

		if (*n == MAX_RUNTIMES || !*base) {
			free(v);
			return -E2BIG;
		}
		snprintf(r->spec, sizeof(r->spec), "%s", tok);
		snprintf(r->label, sizeof(r->label), "%s", base);
		for (char *p = r->label; *p; p++)
			if (*p == '.' && p == r->label)
				*p = '_';
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(v[i].label, r->label))
				snprintf(r->label, sizeof(r->label), "%.50s-%zu", base, *n + 1);
		if (strlen(r->spec) > 4 && !strcmp(r->spec + strlen(r->spec) - 4, ":aot")) {
			if (suite_aot_split(v, n, MAX_RUNTIMES, r))
				break;
			continue;
		}
		(*n)++;
	}
	if (tok) {
		free(v);
		return -E2BIG;
	}
	*out = v;
	return *n ? 0 : -EINVAL;
}

/* dirfd/name, made if missing, opened without following a symlink. fd or -errno. */
static int subdir(int dirfd, const char *name)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* dirfd/a/b/c..., each level made and opened as subdir() does. fd or -errno. */
int suite_subdirs(int dirfd, const char *const *names, size_t n)
{
	int fd = dup(dirfd);

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		int next = subdir(fd, names[i]);

		close(fd);
		if (next < 0)
			return next;
		fd = next;
	}
	return fd;
}

/*
 * dirfd/name as a regular file: never through a symlink, never blocking on a
 * FIFO planted in a reused output folder. fd (blocking again) or -errno.
 */
static int open_regular(int dirfd, const char *name, int flags, mode_t mode)
{
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* stdout is compared by hash, not kept */
uint64_t suite_hash_fd(int fd, uint64_t *bytes)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char buf[65536];
	ssize_t n;

	*bytes = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ULL;
		*bytes += (uint64_t)n;
	}
	return h;
}

static int hash_file(int dirfd, const char *name, uint64_t *h, uint64_t *bytes)
{
	int fd = open_regular(dirfd, name, O_RDONLY, 0);

	if (fd < 0)
		return fd;
	*h = suite_hash_fd(fd, bytes);
	close(fd);
	return 0;
}

static void copy_line(char *out, size_t len, const char *line)
{
	size_t n = strlen(line);

	if (n >= len)
		n = len - 1;
	memcpy(out, line, n);
	out[n] = '\0';
}

/*
 * The first line the runtime wrote to stderr. record's stderr holds the
 * runtime's, then record's report, which begins with "phaseprof: ... exited";
 * record's own messages all begin with "phaseprof: " too.
 */
static void first_stderr_line(int dirfd, char *out, size_t len)
{
	int fd = open_regular(dirfd, "stderr", O_RDONLY, 0);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	char line[1024], last[1024] = "";

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "phaseprof: ", 11)) {
			/* record's usage hint after its complaint is not the runtime's */
			if (line[0] && !out[0] && strncmp(line, "see 'phaseprof ", 15))
				copy_line(out, len, line);
			continue;
		}
		if (strstr(line, " exited with status ") || strstr(line, " killed by signal "))
			break;
		snprintf(last, sizeof(last), "%s", line); /* record's own complaint */
	}
	if (!out[0] && last[0])
		copy_line(out, len, last);
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
}

/* In the child: the case's stdin, environment and directory, then record. Never returns. */
static void exec_record(const struct runner *R, const struct suite_case *c, const struct rt *r,
			int rundirfd, const char *rundir, const char *freq)
{
	const struct run_opts *o = R->o;
	char **argv = calloc(MAX_PASS + c->nargs + 16, sizeof(*argv));
	int in = open(c->stdin_path ?: "/dev/null", O_RDONLY);
	int out = open_regular(rundirfd, "stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int err = open_regular(rundirfd, "stderr", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t n = 0;

	if (!argv || in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0 || (c->dir && chdir(c->dir)))
		_exit(PP_EXIT_FAILURE);
	for (size_t i = 0; i < c->nenv; i++)
		putenv(c->env[i]);
	argv[n++] = "phaseprof";
	argv[n++] = "record";
	if (freq) { /* NULL: record's own default */
		argv[n++] = "-F";
		argv[n++] = (char *)freq;
	}
	argv[n++] = "-x";
	argv[n++] = (char *)r->path;
	argv[n++] = "-o";
	argv[n++] = (char *)rundir;
	for (size_t i = 0; i < o->npass; i++)
		argv[n++] = (char *)o->pass[i];
	argv[n++] = "--";
	if (r->kind != RT_PLAIN) {
		n += suite_aot_argv(R, c, r, argv + n);
	} else {
		argv[n++] = c->module;
		for (size_t i = 0; i < c->nargs; i++)
			argv[n++] = c->args[i];
	}
	execv("/proc/self/exe", argv);
	_exit(PP_EXIT_FAILURE);
}

/* Wait for pid, at most timeout seconds; then stop it (record passes the signal on). */
static int wait_record(pid_t pid, double timeout, bool *timed_out)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), status;
	struct pollfd p = { .fd = pfd, .events = POLLIN };

	*timed_out = false;
	if (pfd >= 0 &&
	    poll(&p, 1, timeout * 1000 > INT_MAX ? INT_MAX : (int)(timeout * 1000)) == 0) {
		*timed_out = true;
		/* the first signal reaches the runtime; a second makes record kill it */
		kill(pid, SIGTERM);
		if (poll(&p, 1, STOP_GRACE_MS) == 0) {
			kill(pid, SIGTERM);
			if (poll(&p, 1, 2 * STOP_GRACE_MS) == 0)
				kill(pid, SIGKILL);
		}
	}
	if (pfd >= 0)
		close(pfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int suite_record(const struct runner *R, const struct suite_case *c, const struct rt *r, int dirfd,
		 const char *dir, const char *freq, bool *timed_out)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		exec_record(R, c, r, dirfd, dir, freq);
	return pid < 0 ? -errno : wait_record(pid, c->timeout, timed_out);
}

static void progress(struct runner *R, size_t ci, size_t nc, const struct suite_case *c,
		     const struct rt *r, bool warm, unsigned k)
{
	struct timespec now;
	double elapsed, eta;
	char left[32] = "--";

	if (!R->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (now.tv_sec - R->t0.tv_sec) + (now.tv_nsec - R->t0.tv_nsec) / 1e9;
	eta = R->done ? elapsed / R->done * (R->total - R->done) : 0;
	if (R->done)
		snprintf(left, sizeof(left), "%um%02us", (unsigned)eta / 60, (unsigned)eta % 60);
	fprintf(stderr, "\r\033[Kcase %zu/%zu %s: %s %s %u/%u (run %zu of %zu) ETA %s", ci + 1, nc,
		c->name, r->label, warm ? "warm-up" : "run", k + 1,
		warm ? R->o->warmup : R->o->runs, R->done + 1, R->total, left);
	fflush(stderr);
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

/* SIGINT, SIGTERM: finish the run under way, store it, stop. */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = sig;
}

static void catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Say why a run failed, once per case and runtime. */
static void warn_failure(struct runner *R, const struct suite_case *c, const struct rt *r,
			 const struct store_run *sr, const char *rundir, bool *warned)
{
	if (*warned)
		return;
	*warned = true;
	if (R->tty)
		fprintf(stderr, "\r\033[K");
	if (sr->outcome == RUN_TIMEOUT)
		pr_warn("case %s on %s: timed out after %g s; stopped; see %s/stderr", c->name,
			r->label, c->timeout, rundir);
	else
		pr_warn("case %s on %s: record failed (status %d): %s; see %s/stderr", c->name,
			r->label, sr->record_status,
			sr->stderr_first[0] ? sr->stderr_first : "no message", rundir);
}

/* -v of compare: record's stderr (the runtime's, then record's report) under a heading */
static void show_report(const struct runner *R, const struct suite_case *c, const struct rt *r,
			int dirfd, const char *run)
{
	int fd = open_regular(dirfd, "stderr", O_RDONLY, 0);
	char buf[8192];
	ssize_t n;

	if (R->tty)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "phaseprof: ---- %s on %s, %s: record's report ----\n", c->name, r->label,
		run);
	fflush(stderr);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stderr) != (size_t)n)
			break;
	if (fd >= 0)
		close(fd);
}

int suite_one_run(struct runner *R, const struct suite_case *c, const struct rt *r, unsigned round,
		  bool *warned, int *status)
{
	bool warm = round < R->o->warmup, timed_out = false;
	unsigned k = warm ? round : round - R->o->warmup;
	char name[32], rundir[PATH_MAX + 256], json[PATH_MAX + 300], first[512], why[256];
	struct store_run sr = { .case_name = c->name,
				.runtime = r->label,
				.round = k,
				.warmup = warm,
				.stderr_first = first,
				.dir = rundir };
	const char *path[3] = { c->name, r->label, name };
	struct timespec t[4];
	int fd, ret;

	clock_gettime(CLOCK_MONOTONIC, &t[0]);
	snprintf(name, sizeof(name), "%s-%u", warm ? "warmup" : "run", k);
	snprintf(rundir, sizeof(rundir), "%s/runs/b%" PRId64 "/%s/%s/%s", R->dir, R->batch, c->name,
		 r->label, name);
	fd = suite_subdirs(R->batchfd, path, 3);
	if (fd < 0)
		return fd;
	clock_gettime(CLOCK_MONOTONIC, &t[1]);
	sr.record_status = suite_record(R, c, r, fd, rundir, R->o->freq, &timed_out);
	*status = sr.record_status;
	clock_gettime(CLOCK_MONOTONIC, &t[2]);
	if (sr.record_status < 0 || stop_requested) {
		/* a run cut short by ^C (the terminal signals the runtime too) is not stored */
		close(fd);
		return sr.record_status < 0 ? sr.record_status : 0;
	}
	snprintf(json, sizeof(json), "%s/phases.json", rundir);
	sr.doc = jr_parse_file(json, why, sizeof(why));
	/*
	 * The clock starts at the fork, before record has set up: a runtime that
	 * exited on its own while the stop signal was on its way did not time out.
	 */
	if (timed_out && sr.doc && jr_num(jr_get(sr.doc, "term_signal"), 0) == 0)
		timed_out = false;
	sr.outcome = timed_out ? RUN_TIMEOUT : sr.doc ? RUN_OK : RUN_FAILED;
	hash_file(fd, "stdout", &sr.stdout_hash, &sr.stdout_bytes);
	first_stderr_line(fd, first, sizeof(first));
	if (R->o->show_reports)
		show_report(R, c, r, fd, name);
	close(fd);
	ret = store__add_run(&R->st, R->batch, &sr);
	if (sr.outcome != RUN_OK) {
		R->failed++;
		warn_failure(R, c, r, &sr, rundir, warned);
	}
	jr_free((struct jr_node *)sr.doc);
	R->done++;
	clock_gettime(CLOCK_MONOTONIC, &t[3]);
	/* what the runner adds to record's own time, for bench/suite_overhead.py and -v */
	pr_debug("%s on %s %s: record %.2f ms; the runner %.2f ms before, %.2f ms after", c->name,
		 r->label, name, ms_between(&t[1], &t[2]), ms_between(&t[0], &t[1]),
		 ms_between(&t[2], &t[3]));
	return ret;
}

/* A compile step runs once, before the rounds; an AOT variant only on what it compiled. */
static bool in_rounds(const struct runner *R, const struct rt *r)
{
	return r->kind == RT_PLAIN || (r->kind == RT_AOT && R->rts[r->pair].out[0]);
}

/* Every round runs every runtime once; the order rotates so none always goes first. */
static int run_case(struct runner *R, const struct suite_case *c, size_t ci, size_t nc)
{
	bool warned[MAX_RUNTIMES] = { 0 };
	unsigned rounds = R->o->warmup + R->o->runs;
	int err = store__transaction(&R->st, true), status;

	for (size_t i = 0; !err && !stop_requested && i < R->nrts; i++)
		if (R->rts[i].kind == RT_AOT_COMPILE) {
			progress(R, ci, nc, c, &R->rts[i], false, 0);
			err = suite_aot_compile(R, c, &R->rts[i]);
		}
	for (unsigned round = 0; !err && !stop_requested && round < rounds; round++)
		for (size_t k = 0; !err && !stop_requested && k < R->nrts; k++) {
			size_t i = (k + round) % R->nrts;
			bool warm = round < R->o->warmup;

			if (!in_rounds(R, &R->rts[i])) {
				R->done += R->rts[i].kind == RT_AOT;
				continue;
			}
			progress(R, ci, nc, c, &R->rts[i], warm,
				 warm ? round : round - R->o->warmup);
			err = suite_one_run(R, c, &R->rts[i], round, &warned[i], &status);
		}
	return store__transaction(&R->st, false) ?: err;
}

static bool in_shard(const struct run_opts *o, size_t i)
{
	return i % o->shard_n == o->shard_k - 1;
}

static int expect_hash(const struct suite_case *c, uint64_t *h)
{
	uint64_t bytes;
	int fd;

	if (!c->expect_path)
		return 0;
	fd = open(c->expect_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*h = suite_hash_fd(fd, &bytes);
	close(fd);
	return 0;
}

static void join_argv(char *buf, size_t len, const char *verb, int argc, char **argv)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < argc && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? " " : verb, argv[i]);
}

/* The batch's rows (environment, runtimes, cases) and its folder DIR/runs/bN. */
static int begin_batch(struct runner *R, const struct suite *s, int dirfd, int argc, char **argv)
{
	struct store_env e = { .suite = s->path, .runs = R->o->runs, .warmup = R->o->warmup };
	char shard[32], cmd[4096], bname[32];
	const char *path[2] = { "runs", bname };
	int err;

	store__probe_env(&e);
	snprintf(shard, sizeof(shard), "%u/%u", R->o->shard_k, R->o->shard_n);
	join_argv(cmd, sizeof(cmd), R->o->verb ?: "phaseprof suite ", argc, argv);
	e.shard = shard;
	e.command = cmd;
	err = store__begin_batch(&R->st, &e, &R->batch);
	for (size_t i = 0; !err && i < R->nrts; i++)
		err = store__add_runtime(&R->st, R->batch, R->rts[i].label, R->rts[i].spec);
	for (size_t i = 0; !err && i < s->ncases; i++) {
		uint64_t h = 0;

		if (!in_shard(R->o, i))
			continue;
		if (expect_hash(&s->cases[i], &h)) {
			pr_err("cannot read '%s': %s", s->cases[i].expect_path, strerror(errno));
			return -errno;
		}
		err = store__add_case(&R->st, R->batch, &s->cases[i], h, s->cases[i].expect_path);
		for (size_t k = 0; k < R->nrts; k++)
			R->total +=
			    R->rts[k].kind == RT_AOT_COMPILE ? 1 : R->o->runs + R->o->warmup;
	}
	if (err)
		return err;
	snprintf(bname, sizeof(bname), "b%" PRId64, R->batch);
	R->batchfd = suite_subdirs(dirfd, path, 2);
	return R->batchfd < 0 ? R->batchfd : 0;
}

static int run_suite(struct runner *R, const struct suite *s)
{
	size_t nc = 0, ci = 0;
	int err = 0;

	for (size_t i = 0; i < s->ncases; i++)
		nc += in_shard(R->o, i);
	clock_gettime(CLOCK_MONOTONIC, &R->t0);
	catch_stop();
	for (size_t i = 0; !err && !stop_requested && i < s->ncases; i++)
		if (in_shard(R->o, i))
			err = run_case(R, &s->cases[i], ci++, nc);
	if (R->tty)
		fprintf(stderr, "\r\033[K");
	if (stop_requested)
		pr_warn("stopped by signal %d: the %zu runs done are stored; the batch stays "
			"unfinished",
			(int)stop_requested, R->done);
	if (!err && !stop_requested)
		err = store__end_batch(&R->st, R->batch);
	R->ncases = nc;
	return err;
}

int suite_run_batch(struct runner *R, const struct suite *s, int dirfd, int argc, char **argv)
{
	return begin_batch(R, s, dirfd, argc, argv) ?: run_suite(R, s);
}

/*
 * Every runtime exists and is an ELF executable, before the first run; record
 * gets the path found, since a case's `dir` moves the working directory.
 * 0 or an exit code.
 */
int suite_check_runtimes(struct runner *R)
{
	for (size_t i = 0; i < R->nrts; i++) {
		int ret = R->rts[i].kind == RT_AOT_COMPILE
				  ? 0
				  : cmd_locate_runtime(R->rts[i].spec, R->rts[i].path,
						       sizeof(R->rts[i].path));

		if (ret)
			return ret;
	}
	return suite_aot_locate(R);
}

/* The output directory, opened safely, and its absolute name for record's -o. fd or -errno. */
int suite_open_output(struct runner *R)
{
	char link[64];
	ssize_t n;
	int fd = outdir_open(R->o->output);

	if (fd < 0)
		return fd;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, R->dir, sizeof(R->dir) - 1);
	if (n < 0 || n > PATH_MAX - 200) {
		close(fd);
		return n < 0 ? -errno : -ENAMETOOLONG;
	}
	R->dir[n] = '\0';
	return fd;
}

int suite_run(int argc, char **argv)
{
	struct run_opts o;
	struct runner R = { .o = &o, .batchfd = -1, .tty = isatty(2) };
	struct suite *s = NULL;
	char err[1024], db[PATH_MAX + 32];
	bool done;
	int dirfd = -1, ret = parse_opts(argc, argv, &o, &done);

	if (ret || done)
		return ret;
	if (suite_split_runtimes(o.runtimes_arg, &R.rts, &R.nrts))
		return cmd_usage_error("suite run",
				       "-x takes 1 to 16 runtimes separated by commas (NAME:aot "
				       "counts 2; :aot only after iwasm* or wasmedge*), not '%s'",
				       o.runtimes_arg);
	ret = suite_check_runtimes(&R);
	if (!ret && suite__load(o.suite, &s, err, sizeof(err))) {
		fprintf(stderr, "phaseprof: %s\n", err);
		ret = PP_EXIT_USAGE;
	}
	if (!ret && (dirfd = suite_open_output(&R)) < 0) {
		pr_err("cannot use the output directory '%s': %s", o.output, strerror(-dirfd));
		ret = PP_EXIT_FAILURE;
	}
	snprintf(db, sizeof(db), "%s/results.sqlite", R.dir);
	if (!ret && store__open(db, true, &R.st, err, sizeof(err))) {
		fprintf(stderr, "phaseprof: %s\n", err);
		ret = PP_EXIT_FAILURE;
	}
	if (!ret && suite_run_batch(&R, s, dirfd, argc, argv)) {
		pr_err("cannot store the runs in '%s': %s", db, R.st.db ? "see above" : "not open");
		ret = PP_EXIT_FAILURE;
	}
	if (!ret)
		printf("%zu runs (%zu failed) of %zu case%s on %zu runtime%s: %s/results.sqlite, "
		       "batch %" PRId64 "\nnext: phaseprof suite report %s\n",
		       R.done, R.failed, R.ncases, R.ncases == 1 ? "" : "s", R.nrts,
		       R.nrts == 1 ? "" : "s", R.dir, R.batch, R.dir);
	if (!ret && o.drill && !stop_requested && suite_drill(&R, s, dirfd))
		ret = PP_EXIT_FAILURE;
	store__close(&R.st);
	if (R.batchfd >= 0)
		close(R.batchfd);
	if (dirfd >= 0)
		close(dirfd);
	suite__free(s);
	free(R.rts);
	return ret ?: R.failed || stop_requested ? 1 : PP_EXIT_OK;
}

/* ---- suite merge: here because it is the runner's other half (shards) ---- */

int suite_merge(int argc, char **argv)
{
	struct store st = { 0 };
	char err[1024];
	int ret = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: phaseprof suite merge OUT.sqlite A.sqlite B.sqlite...\n\n"
		       "Copy every batch of A, B, ... into OUT (made when missing), as shards\n"
		       "run on several machines with --shard K/N.\n\nexamples:\n"
		       "  phaseprof suite merge all.sqlite shard1/results.sqlite "
		       "shard2/results.sqlite\n");
		return PP_EXIT_OK;
	}
	if (argc < 3)
		return cmd_usage_error("suite merge", "give OUT.sqlite and at least one input%s",
				       "");
	if (store__open(argv[1], true, &st, err, sizeof(err))) {
		fprintf(stderr, "phaseprof: %s\n", err);
		return PP_EXIT_FAILURE;
	}
	for (int i = 2; !ret && i < argc; i++)
		if (store__merge(&st, argv[i], err, sizeof(err))) {
			fprintf(stderr, "phaseprof: cannot merge '%s': %s\n", argv[i], err);
			ret = PP_EXIT_FAILURE;
		}
	store__close(&st);
	return ret;
}
