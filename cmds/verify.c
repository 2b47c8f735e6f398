// SPDX-License-Identifier: MIT
/* verify.c: `phaseprof runtimes --verify`, see verify.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "exitcodes.h"
#include "jsonread.h"
#include "phases.h"
#include "verify.h"
#include "wasmfile.h"

/* The app's arguments: one with a blank, so that a runtime that splits them shows it. */
static char *const app_args[] = { "verify", "two words" };
#define NARGS (sizeof(app_args) / sizeof(app_args[0]))

_Static_assert(PP_PHASE_COUNT <= sizeof(((struct verify_result *)0)->phase) /
					 sizeof(struct verify_phase),
	       "verify_result.phase[] must hold every phase");

/*
 * An installed phaseprof uses its installed app (beside its probes, relative
 * to the binary, as profile lookup does), a build tree's binary the tree's.
 */
const char *verify_app(void)
{
	static char installed[PATH_MAX];
	const char *env = getenv("PHASEPROF_VERIFY_APP");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash && (size_t)snprintf(installed, sizeof(installed), "%.*s/%s",
					      (int)(slash - exe), exe,
					      PHASEPROF_INSTALL_VERIFY_RELPATH) < sizeof(installed) &&
		    !access(installed, R_OK))
			return installed;
	}
	return PHASEPROF_VERIFY_APP;
}

const char *verdict_name(enum verdict v)
{
	return v == VERDICT_READY ? "ready" : v == VERDICT_DEGRADED ? "degraded" : "broken";
}

/* What examples/verify.c prints for app_args. */
static void expected_output(char *buf, size_t len)
{
	size_t n = snprintf(buf, len, "verify");

	for (size_t i = 0; i < NARGS && n < len; i++)
		n += snprintf(buf + n, len - n, " [%s]", app_args[i]);
	if (n < len)
		snprintf(buf + n, len - n, "\n");
}

static void add_reason(struct verify_result *r, const char *fmt, ...)
{
	size_t n = strlen(r->reason);
	va_list ap;

	if (n && n + 2 < sizeof(r->reason)) {
		strcpy(r->reason + n, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->reason + n, sizeof(r->reason) - n, fmt, ap);
	va_end(ap);
}

/*
 * `phaseprof record -F 0 -o DIR -x PATH [--probes FILE] -- APP ARGS`, output to
 * DIR/stdout and DIR/stderr. With the profile shown (probes), unless none of
 * its sites resolves: then as a user's run would, by name, to the fallback.
 */
static int run_record(const char *path, const char *probes, const char *dir, bool compiler,
		      bool out_last)
{
	char out[PATH_MAX], err[PATH_MAX], aot[PATH_MAX];
	char *argv[16 + NARGS] = { "phaseprof", "record", "-F", "0", "-o", (char *)dir, "-x",
				   (char *)path };
	size_t n = 8;
	int status;
	pid_t pid;

	if (probes) {
		argv[n++] = "--probes";
		argv[n++] = (char *)probes;
	}
	argv[n++] = "--";
	/* an AOT compiler compiles the app: wamrc -o OUT APP, or wasmedgec APP OUT */
	snprintf(aot, sizeof(aot), "%s/verify.%s", dir, out_last ? "wasm" : "aot");
	if (compiler && !out_last) {
		argv[n++] = "-o";
		argv[n++] = aot;
	}
	argv[n++] = (char *)verify_app();
	if (compiler && out_last)
		argv[n++] = aot;
	for (size_t i = 0; !compiler && i < NARGS; i++)
		argv[n++] = app_args[i];
	snprintf(out, sizeof(out), "%s/stdout", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int o = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
		    dup2(e, 2) < 0)
			_exit(PP_EXIT_FAILURE);
		execv("/proc/self/exe", argv);
		_exit(PP_EXIT_FAILURE);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A small file of the run directory, NUL-terminated ("" when missing). */
static void read_small(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* The last line phaseprof wrote on stderr that is its own message. */
static void last_message(const char *text, char *out, size_t len)
{
	const char *line = text, *end;

	out[0] = '\0';
	for (; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (!strncmp(line, "phaseprof: ", 11) && !strstr(line, " exited with status ") &&
		    (size_t)(end - line) > 11)
			snprintf(out, len, "%.*s", (int)(end - line - 11), line + 11);
	}
}

/* Which phases fired, from phases.json's probes and phases. */
static void read_phases(const struct jr_node *doc, struct verify_result *r)
{
	const struct jr_node *probes = jr_get(doc, "probes"), *phases = jr_get(doc, "phases");

	for (const struct jr_node *s = probes ? probes->child : NULL; s; s = s->next) {
		int ph = phase__from_name(jr_str(jr_get(s, "phase")) ?: "");

		if (ph >= 0 && jr_num(jr_get(s, "hits"), 0) > 0)
			r->phase[ph].fired = true;
	}
	for (const struct jr_node *p = phases ? phases->child : NULL; p; p = p->next) {
		int ph = phase__from_name(jr_str(jr_get(p, "name")) ?: "");

		if (ph >= 0)
			r->phase[ph].wall_ms = jr_num(jr_get(p, "wall_ns"), -1e6) / 1e6;
	}
}

/* The verdict of a run that produced phases.json. */
static void judge(const struct jr_node *doc, struct verify_result *r)
{
	const struct jr_node *fb = jr_get(doc, "fallback");

	read_phases(doc, r);
	if (fb && fb->type == JR_OBJECT) {
		r->verdict = r->verdict == VERDICT_BROKEN ? VERDICT_BROKEN : VERDICT_DEGRADED;
		add_reason(r, "generic fallback (%s)", jr_str(jr_get(fb, "why")) ?: "?");
		return;
	}
	for (int ph = 0; ph < PP_PHASE_COUNT; ph++) {
		if (!r->phase[ph].required || r->phase[ph].fired)
			continue;
		r->verdict = r->verdict == VERDICT_BROKEN ? VERDICT_BROKEN : VERDICT_DEGRADED;
		if (!r->phase[ph].unresolved)
			add_reason(r, "%s: its sites never fired", phase__name(ph));
	}
}

/* The app ran under phaseprof: did it behave as bare, and what was measured? */
static void examine_run(const char *dir, int status, bool compiler, struct verify_result *r)
{
	char expect[256], out[4096], err[8192], msg[1024], path[PATH_MAX], jerr[256];
	struct jr_node *doc;

	r->ran = true;
	r->exit_status = status;
	expected_output(expect, sizeof(expect));
	read_small(dir, "stdout", out, sizeof(out));
	read_small(dir, "stderr", err, sizeof(err));
	last_message(err, msg, sizeof(msg));
	snprintf(path, sizeof(path), "%s/phases.json", dir);
	doc = jr_parse_file(path, jerr, sizeof(jerr));
	if (!doc) {
		r->verdict = VERDICT_BROKEN;
		add_reason(r, "phaseprof record exited with %d: %s", status, msg[0] ? msg : jerr);
		return;
	}
	if (status != 0 || (!compiler && strcmp(out, expect))) {
		r->verdict = VERDICT_BROKEN;
		add_reason(r, "the app did not run as it does bare: exit status %d, stdout \"%.*s\" "
			      "(expected \"%.*s\")", status, (int)strcspn(out, "\n"), out,
			   (int)strcspn(expect, "\n"), expect);
	}
	judge(doc, r);
	jr_free(doc);
}

/* A build that lacks what a WASI app needs (`unsupported`) cannot run the app. */
static bool lacks_wasi(struct profile *p, const char *path, struct verify_result *r)
{
	bool lacks = false;

	profile__choose_options(p, true);
	for (size_t i = 0; i < p->noptions; i++) {
		const struct profile_option *o = &p->options[i];

		if (o->on && o->unsupported_text && file_contains(path, o->unsupported_text) == 1) {
			add_reason(r, "this build cannot run WASI apps: it lacks option '%s' "
				      "(the binary says \"%s\")", o->name, o->unsupported_text);
			lacks = true;
		}
	}
	return lacks;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int verify_runtime(struct profile *p, const char *path, const struct plan *pl,
		   const char *plan_err, struct verify_result *r)
{
	char dir[] = "/tmp/phaseprof-verify.XXXXXX";
	bool compiler;
	int status;

	memset(r, 0, sizeof(*r));
	for (int ph = 0; ph < PP_PHASE_COUNT; ph++) {
		r->phase[ph].wall_ms = -1;
		for (size_t i = 0; i < p->nsites; i++)
			r->phase[ph].required |= p->sites[i].phase == ph && !p->optional_phase[ph];
		r->phase[ph].unresolved = r->phase[ph].required &&
					  (plan_err || plan__unresolved(pl, ph));
		if (!plan_err && r->phase[ph].unresolved)
			add_reason(r, "%s unresolved", phase__name(ph));
	}
	if (plan_err)
		add_reason(r, "no phase site resolves: %s", plan_err);
	if (lacks_wasi(p, path, r)) {
		r->verdict = VERDICT_DEGRADED;
		return 0;
	}
	if (access(verify_app(), R_OK))
		return -ENOENT;
	if (!mkdtemp(dir))
		return -errno;
	/* a profile without execute is a compiler's: it compiles the app instead */
	compiler = !r->phase[PP_PHASE_EXECUTE].required;
	for (size_t i = 0; i < p->nsites; i++)
		compiler &= p->sites[i].phase != PP_PHASE_EXECUTE;
	status = run_record(path, plan_err ? NULL : p->path, dir, compiler,
			    !strncmp(p->name, "wasmedgec", 9));
	if (status < 0) {
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		return status;
	}
	examine_run(dir, status, compiler, r);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
