// SPDX-License-Identifier: MIT
/*
 * cmd_runtimes.c: `phaseprof runtimes`: the profiles phaseprof knows, and for
 * each one whether its runtime is installed (on PATH), its version and
 * build-id, and which probe sites resolve in it, so a user sees before a run
 * which phases a runtime will report (and why not).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PR_DOMAIN "runtimes"
#include "cmdutil.h"
#include "commands.h"
#include "exitcodes.h"
#include "json.h"
#include "log.h"
#include "options.h"
#include "phases.h"
#include "plan.h"
#include "profile.h"
#include "runtime.h"
#include "suite_run.h"
#include "verify.h"

#define MAX_DEBUGINFO_DIRS 16

enum { OPT_PROBES = 256, OPT_DEBUGINFO, OPT_JSON, OPT_NO_VERSION, OPT_VERIFY };
#define MAX_RUNTIME_ARGS 64

const struct opt_doc runtimes_options[] = {
	{ "json", OPT_JSON, NULL, "print a JSON array, one object per runtime" },
	{ "verify", OPT_VERIFY, NULL,
	  "run a tiny bundled WASI app under each runtime found and tell, per phase, whether "
	  "its sites fired: ready, degraded or broken, and why (needs root)" },
	{ "runtime", 'x', "RUNTIME", "show (or verify) this runtime only; repeatable" },
	{ "probes", OPT_PROBES, "FILE", "use this profile for every RUNTIME given" },
	{ "debuginfo", OPT_DEBUGINFO, "DIR", "look for debug files in DIR first (repeatable)" },
	{ "no-version", OPT_NO_VERSION, NULL, "do not run the runtimes to ask their versions" },
	{ "verbose", 'v', NULL, "say more" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char runtimes_usage[] =
	"usage: phaseprof runtimes [options] [RUNTIME...]\n"
	"\n"
	"List the runtime profiles phaseprof knows and, for each, whether the runtime\n"
	"is on PATH, its version and build-id, and which probe sites resolve in it.\n"
	"With RUNTIME names or paths, show those runtimes only.\n";

static const char runtimes_examples[] =
	"examples:\n"
	"  phaseprof runtimes                      # every profile, runtimes found on PATH\n"
	"  phaseprof runtimes node ./iwasm-2.4.3   # these runtimes only\n"
	"  phaseprof runtimes --json --probes my.probe ./myrt\n"
	"  sudo phaseprof runtimes --verify -x wasmedge   # after upgrading a runtime\n"
	"\n"
	"exit status: 0 every runtime shown is ready; 66 a found runtime lacks a phase's\n"
	"symbols (--verify: is degraded); 125 --verify found one broken; 67 no profile\n"
	"for a RUNTIME; 65 a probe file error; 127 a RUNTIME given was not found; 77\n"
	"--verify without root; 64 usage.\n";

struct runtimes_opts {
	bool json, no_version, verify;
	char *xnames[MAX_RUNTIME_ARGS]; /* -x RUNTIME, then the positional names */
	const char *probes;
	const char *debuginfo[MAX_DEBUGINFO_DIRS];
	size_t ndebuginfo;
	char **names;
	size_t nnames;
};

/* What we learned about one runtime. */
struct entry {
	struct profile *profile;
	char path[PATH_MAX]; /* "" when not found */
	char version[128];
	char build_id[129];
	struct plan plan;
	bool planned;  /* plan__build ran */
	bool ready;    /* every required phase resolved */
	bool build_failed; /* plan__build failed: err says why */
	struct verify_result verify;
	bool verified; /* --verify ran the app (or judged without running) */
	char err[2048];
	int status;    /* exit status this entry asks for */
};

static int runtimes_option(int c, void *ctx, char **argv)
{
	struct runtimes_opts *o = ctx;

	(void)argv;
	switch (c) {
	case OPT_JSON: o->json = true; break;
	case OPT_VERIFY: o->verify = true; break;
	case 'x':
		if (o->nnames == MAX_RUNTIME_ARGS)
			return cmd_usage_error("runtimes", "too many runtimes (at most 64)%s", "");
		o->xnames[o->nnames++] = optarg;
		break;
	case OPT_PROBES: o->probes = optarg; break;
	case OPT_NO_VERSION: o->no_version = true; break;
	case 'v': log_verbosity++; break;
	case OPT_DEBUGINFO:
		if (o->ndebuginfo == MAX_DEBUGINFO_DIRS)
			return cmd_usage_error("runtimes", "too many --debuginfo directories (at most 16)%s", "");
		o->debuginfo[o->ndebuginfo++] = optarg;
		break;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct runtimes_opts *o, bool *done)
{
	static const struct opt_verb v = { "runtimes", runtimes_usage, runtimes_options,
					   runtimes_examples, '+' };
	int ret;

	memset(o, 0, sizeof(*o));
	ret = options_parse(argc, argv, &v, runtimes_option, o, done);
	if (ret || *done)
		return ret;
	for (int i = optind; i < argc; i++) {
		if (o->nnames == MAX_RUNTIME_ARGS)
			return cmd_usage_error("runtimes", "too many runtimes (at most 64)%s", "");
		o->xnames[o->nnames++] = argv[i];
	}
	o->names = o->xnames;
	if (o->probes && !o->nnames)
		return cmd_usage_error("runtimes", "--probes needs a RUNTIME to apply to%s", "");
	return 0;
}

/* Version, build-id and resolution of one found runtime. */
static void examine(struct entry *e, const struct runtimes_opts *o)
{
	struct syms_opts so = { o->debuginfo, o->ndebuginfo };
	char **vargv = NULL;
	size_t nv;
	int ret;

	if (elf_build_id(e->path, e->build_id, sizeof(e->build_id)))
		e->build_id[0] = '\0';
	if (!o->no_version && !profile__expand_version(e->profile, e->path, &vargv, &nv) &&
	    runtime_version(vargv, e->version, sizeof(e->version)))
		e->version[0] = '\0';
	profile__free_argv(vargv);
	ret = plan__build(e->profile, e->path, &so, &e->plan, e->err, sizeof(e->err));
	e->planned = true;
	e->build_failed = ret != 0;
	e->ready = !ret && !plan__degraded(&e->plan);
	for (int ph = 0; !ret && ph < PP_PHASE_COUNT; ph++)
		if (plan__unresolved(&e->plan, ph) && !e->err[0])
			snprintf(e->err, sizeof(e->err), "phase %s unresolved: %s", phase__name(ph),
				 plan__unresolved(&e->plan, ph));
	if (!e->ready)
		e->status = PP_EXIT_NO_SYMBOL;
	if (ret && !e->err[0])
		snprintf(e->err, sizeof(e->err), "%s", strerror(-ret));
	if (ret)
		e->status = PP_EXIT_NO_SYMBOL;
}

static bool has_profile_named(struct entry *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].profile->name, name))
			return true;
	return false;
}

static int is_probe_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 6 && !strcmp(d->d_name + n - 6, ".probe");
}

static int add_entry(struct entry **v, size_t *n, struct profile *p)
{
	struct entry *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	nv[(*n)++].profile = p;
	return 0;
}

/* Every profile of the search path (the first of a name wins), its binary looked up on PATH. */
static int list_known(const struct runtimes_opts *o, struct entry **v, size_t *n)
{
	char **dirs = NULL, path[PATH_MAX], err[1024];
	size_t ndirs = 0;
	int ret = profile__default_dirs(&dirs, &ndirs), status = 0;

	if (ret) {
		pr_err("cannot list profile directories: %s", strerror(-ret));
		return PP_EXIT_FAILURE;
	}
	for (size_t d = 0; d < ndirs; d++) {
		struct dirent **names = NULL;
		int nn = scandir(dirs[d], &names, is_probe_file, alphasort);

		for (int i = 0; i < nn; i++) {
			struct profile *p = NULL;

			snprintf(path, sizeof(path), "%s/%s", dirs[d], names[i]->d_name);
			free(names[i]);
			if (profile__parse(path, &p, err, sizeof(err))) {
				pr_err("%s", err);
				status = PP_EXIT_PROBE_FILE;
				continue;
			}
			if (has_profile_named(*v, *n, p->name) || add_entry(v, n, p)) {
				profile__free(p);
				continue;
			}
			for (size_t b = 0; b < p->nbinaries; b++)
				if (!runtime_locate(p->binaries[b], (*v)[*n - 1].path, PATH_MAX))
					break;
		}
		free(names);
	}
	profile__free_argv(dirs);
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].path[0])
			examine(&(*v)[i], o);
	return status;
}

/* The runtimes named on the command line, each with its profile. */
static int list_named(const struct runtimes_opts *o, struct entry **v, size_t *n)
{
	char **dirs = NULL, err[1024];
	size_t ndirs = 0;
	int status = 0;

	if (!o->probes && profile__default_dirs(&dirs, &ndirs)) {
		pr_err("cannot list profile directories: out of memory");
		return PP_EXIT_FAILURE;
	}
	for (size_t i = 0; i < o->nnames; i++) {
		char path[PATH_MAX];
		const char *name = o->names[i], *base;
		struct profile *p = NULL;
		int ret;

		if (runtime_locate(name, path, sizeof(path))) {
			pr_err("cannot find runtime '%s': %s", name,
			       strchr(name, '/') ? "no such file" : "not on PATH; give its path");
			status = status ?: PP_EXIT_NOT_FOUND;
			continue;
		}
		base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		if (o->probes)
			ret = profile__parse(o->probes, &p, err, sizeof(err));
		else
			ret = profile__find((const char *const *)dirs, ndirs, strrchr(name, '/') ?
					    strrchr(name, '/') + 1 : name, &p, err, sizeof(err));
		if (ret == -ENOENT && !o->probes)
			ret = profile__find((const char *const *)dirs, ndirs, base, &p, err,
					    sizeof(err));
		if (ret == -ENOENT && !o->probes) {
			pr_err("no profile for runtime '%s': no probes/*.probe names a binary called "
			       "'%s'; write one (see phaseprof-probes(5))", name, base);
			status = status ?: PP_EXIT_NO_PROFILE;
			continue;
		}
		if (ret) {
			pr_err("%s", err);
			status = status ?: PP_EXIT_PROBE_FILE;
			continue;
		}
		if (add_entry(v, n, p)) {
			profile__free(p);
			break;
		}
		snprintf((*v)[*n - 1].path, PATH_MAX, "%s", path);
		examine(&(*v)[*n - 1], o);
	}
	profile__free_argv(dirs);
	return status;
}

static const char *kind_name(enum site_kind k)
{
	return k == SITE_DURING ? "during" : k == SITE_OPEN ? "open" : "close";
}

/* on, off, or chosen per module (wasi: on for modules that import WASI). */
static const char *option_state(const struct profile_option *o)
{
	if (o->when == OPTION_IF_WASI)
		return "wasi (on for modules that import WASI)";
	if (o->when == OPTION_IF_NOT_WASI)
		return "no-wasi (on for modules that do not import WASI)";
	return o->on ? "on" : "off";
}

/*
 * Is the installed version the one the profile was proven on? The proven
 * version must appear in the runtime's version line as a whole number
 * (2.4.3 matches "iwasm 2.4.3", not "12.4.3" or "2.4.30").
 */
static bool version_matches(const char *installed, const char *proven)
{
	size_t n = strlen(proven);

	for (const char *s = installed; (s = strstr(s, proven)); s++) {
		const unsigned char *e = (const unsigned char *)s + n;
		bool left = s == installed || !(isdigit((unsigned char)s[-1]) || s[-1] == '.');
		bool right = !isdigit(e[0]) && !(e[0] == '.' && isdigit(e[1]));

		if (left && right)
			return true;
	}
	return false;
}

/* The profile's `proven` line beside the installed version, and a warning when they differ. */
static void print_proven(const struct entry *e)
{
	const struct profile *p = e->profile;

	if (!p->proven_version) {
		printf("  proven: not stated in the profile; check with --verify\n");
		return;
	}
	if (!profile__proven_on_binary(p)) {
		printf("  proven: never: written from source (%s, %s), not run on a real binary; "
		       "expect unresolved phases, check with --verify\n", p->proven_kind,
		       p->proven_date);
		return;
	}
	printf("  proven on %s (%s) %s\n", p->proven_version, p->proven_kind, p->proven_date);
	if (e->path[0] && e->version[0] && !version_matches(e->version, p->proven_version))
		printf("  warning: installed version \"%s\" is not the proven %s; check it "
		       "with `phaseprof runtimes --verify -x %s`\n",
		       e->version, p->proven_version, e->path);
}

static void print_verify(const struct entry *e)
{
	const struct verify_result *r = &e->verify;

	if (!e->verified)
		return;
	printf("  verify: %s%s%s\n", verdict_name(r->verdict), r->reason[0] ? ": " : "",
	       r->reason);
	for (int ph = 0; r->ran && ph < PP_PHASE_COUNT; ph++) {
		if (!r->phase[ph].required && !r->phase[ph].fired)
			continue;
		printf("    %-11s %-12s", phase__name(ph),
		       r->phase[ph].fired ? "fired" : r->phase[ph].unresolved ? "unresolved" :
		       "never fired");
		if (r->phase[ph].wall_ms >= 0)
			printf(" %10.2f ms", r->phase[ph].wall_ms);
		printf("\n");
	}
}

/* A profile without an execute site is an AOT compiler's. */
static bool is_compiler(const struct profile *p)
{
	for (size_t i = 0; i < p->nsites; i++)
		if (p->sites[i].phase == PP_PHASE_EXECUTE)
			return false;
	return true;
}

/* The runtime's :aot variant (suite run -x NAME:aot) and the compiler it would use. */
static void print_aot(const struct entry *e)
{
	char path[PATH_MAX];
	const char *name;
	int ret;

	if (is_compiler(e->profile)) {
		printf("  AOT compiler: no execute phase; its output runs on a runtime (suite run "
		       "-x RUNTIME:aot compiles with it)\n");
		return;
	}
	ret = suite_aot_compiler_beside(e->path, path, sizeof(path), &name);
	if (ret == 0)
		printf("  AOT variant: %s:aot, compiled by %s\n", e->profile->name, path);
	else if (ret == -ENOENT)
		printf("  AOT variant: %s:aot needs %s beside it (or suite run --aot-compiler)\n",
		       e->profile->name, name);
}

static void json_aot(struct json *j, const struct entry *e)
{
	char path[PATH_MAX];
	const char *name;
	int ret = e->path[0] ? suite_aot_compiler_beside(e->path, path, sizeof(path), &name)
			     : -EINVAL;

	json_bool(j, "aot_compiler", is_compiler(e->profile));
	json_string(j, "aot_variant_compiler", ret == 0 ? path : NULL);
}

static void print_plain(const struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = &v[i];
		size_t ok = 0;

		if (!e->path[0]) {
			printf("%-12s not found on PATH (looked for", e->profile->name);
			for (size_t b = 0; b < e->profile->nbinaries; b++)
				printf(" %s", e->profile->binaries[b]);
			printf(")  profile %s\n", e->profile->path);
			print_proven(e);
			continue;
		}
		for (size_t s = 0; s < e->plan.nsites; s++)
			ok += e->plan.sites[s].site && e->plan.sites[s].candidate >= 0;
		printf("%-12s %s%s%s\n", e->profile->name, e->path, e->version[0] ? "  " : "",
		       e->version);
		printf("  profile %s\n  build-id %s\n", e->profile->path,
		       e->build_id[0] ? e->build_id : "(none)");
		for (size_t k = 0; k < e->profile->noptions; k++) {
			const struct profile_option *opt = &e->profile->options[k];

			printf("  option %s=%s:", opt->name, option_state(opt));
			for (size_t w = 0; w < opt->nwords; w++)
				printf(" %s", opt->words[w]);
			printf("\n");
		}
		printf("  %s: %zu of %zu sites resolve\n", e->ready ? "ready" : "NOT READY", ok,
		       e->profile->nsites);
		for (size_t s = 0; s < e->profile->nsites; s++) {
			const struct probe_site *site = &e->profile->sites[s];
			const struct plan_site *ps = s < e->plan.nsites ? &e->plan.sites[s] : NULL;
			bool res = ps && ps->site && ps->candidate >= 0;

			printf("    %-3s %-11s %-6s %s\n", res ? "ok" : "--",
			       phase__name(site->phase), kind_name(site->kind),
			       site->candidates[res ? ps->candidate : 0].spec);
			if (res)
				printf("          -> %zu function%s, %s\n", ps->nfuncs,
				       ps->nfuncs == 1 ? "" : "s", ps->first_func);
			else if (ps && ps->why)
				printf("          %s\n", ps->why);
		}
		if (!e->ready && e->err[0])
			printf("  why: %s\n", e->err);
		print_aot(e);
		print_proven(e);
		print_verify(e);
	}
}

static void json_proven(struct json *j, const struct entry *e)
{
	const struct profile *p = e->profile;

	if (!p->proven_version) {
		json_null(j, "proven");
		return;
	}
	json_begin_object(j, "proven");
	json_bool(j, "source_only", !profile__proven_on_binary(p));
	json_string(j, "version", profile__proven_on_binary(p) ? p->proven_version : NULL);
	json_string(j, "kind", p->proven_kind);
	json_string(j, "date", p->proven_date);
	if (profile__proven_on_binary(p) && e->version[0])
		json_bool(j, "installed_matches", version_matches(e->version, p->proven_version));
	else
		json_null(j, "installed_matches");
	json_end_object(j);
}

static void json_verify(struct json *j, const struct entry *e)
{
	const struct verify_result *r = &e->verify;

	if (!e->verified) {
		json_null(j, "verify");
		return;
	}
	json_begin_object(j, "verify");
	json_string(j, "verdict", verdict_name(r->verdict));
	json_string(j, "reason", r->reason[0] ? r->reason : NULL);
	json_bool(j, "ran", r->ran);
	json_begin_array(j, "phases");
	for (int ph = 0; ph < PP_PHASE_COUNT; ph++) {
		if (!r->phase[ph].required && !r->phase[ph].fired)
			continue;
		json_begin_object(j, NULL);
		json_string(j, "name", phase__name(ph));
		json_bool(j, "required", r->phase[ph].required);
		json_bool(j, "fired", r->phase[ph].fired);
		json_bool(j, "unresolved", r->phase[ph].unresolved);
		if (r->phase[ph].wall_ms >= 0)
			json_double(j, "wall_ms", r->phase[ph].wall_ms);
		else
			json_null(j, "wall_ms");
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

static void print_json(const struct entry *v, size_t n)
{
	struct json j;

	json_init(&j, stdout, true);
	json_begin_array(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = &v[i];
		const struct profile *p = e->profile;

		json_begin_object(&j, NULL);
		json_string(&j, "profile", p->name);
		json_string(&j, "probe_file", p->path);
		json_begin_array(&j, "binaries");
		for (size_t b = 0; b < p->nbinaries; b++)
			json_string(&j, NULL, p->binaries[b]);
		json_end_array(&j);
		json_bool(&j, "found", e->path[0]);
		json_string(&j, "path", e->path[0] ? e->path : NULL);
		json_string(&j, "version", e->version[0] ? e->version : NULL);
		json_string(&j, "build_id", e->build_id[0] ? e->build_id : NULL);
		json_bool(&j, "ready", e->ready);
		json_aot(&j, e);
		json_proven(&j, e);
		json_verify(&j, e);
		json_string(&j, "error", e->planned && !e->ready ? e->err : NULL);
		json_begin_array(&j, "options");
		for (size_t k = 0; k < p->noptions; k++) {
			json_begin_object(&j, NULL);
			json_string(&j, "name", p->options[k].name);
			json_bool(&j, "on", p->options[k].on);
			json_string(&j, "default", option_state(&p->options[k]));
			json_begin_array(&j, "words");
			for (size_t w = 0; w < p->options[k].nwords; w++)
				json_string(&j, NULL, p->options[k].words[w]);
			json_end_array(&j);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_begin_array(&j, "optional_phases");
		for (int ph = 0; ph < PP_PHASE_COUNT; ph++)
			if (p->optional_phase[ph])
				json_string(&j, NULL, phase__name(ph));
		json_end_array(&j);
		json_begin_array(&j, "sites");
		for (size_t s = 0; s < p->nsites; s++) {
			const struct probe_site *site = &p->sites[s];
			const struct plan_site *ps =
				e->planned && s < e->plan.nsites ? &e->plan.sites[s] : NULL;
			bool res = ps && ps->site && ps->candidate >= 0;

			json_begin_object(&j, NULL);
			json_string(&j, "phase", phase__name(site->phase));
			json_string(&j, "kind", kind_name(site->kind));
			json_string(&j, "site", site->text);
			json_u64(&j, "line", site->line);
			json_bool(&j, "no_return", site->no_return);
			json_bool(&j, "resolved", res);
			if (res) {
				json_u64(&j, "candidate", ps->candidate);
				json_string(&j, "spec", site->candidates[ps->candidate].spec);
				json_string(&j, "module", ps->module);
				json_u64(&j, "functions", ps->nfuncs);
				json_string(&j, "function", ps->first_func);
			} else {
				json_string(&j, "why", ps && ps->why ? ps->why :
						       e->path[0] ? e->err : "runtime not found");
			}
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_finish(&j);
}

/* --verify: run the bundled app under a found runtime; the exit status it asks for. */
static int verify_entry(struct entry *e)
{
	int ret;

	if (!e->path[0])
		return 0;
	ret = verify_runtime(e->profile, e->path, &e->plan, e->build_failed ? e->err : NULL,
			     &e->verify);
	if (ret == -ENOENT) {
		pr_err("cannot verify %s: the bundled app %s is missing; build the examples "
		       "(cmake --build build), or set PHASEPROF_VERIFY_APP", e->path, verify_app());
		return PP_EXIT_FAILURE;
	}
	if (ret) {
		pr_err("cannot verify %s: %s", e->path, strerror(-ret));
		return PP_EXIT_FAILURE;
	}
	e->verified = true;
	e->status = e->verify.verdict == VERDICT_READY ? 0 :
		    e->verify.verdict == VERDICT_DEGRADED ? PP_EXIT_NO_SYMBOL : PP_EXIT_FAILURE;
	return 0;
}

int cmd_runtimes(int argc, char **argv)
{
	struct runtimes_opts o;
	struct entry *v = NULL;
	size_t n = 0;
	bool done;
	int status = parse_opts(argc, argv, &o, &done);

	if (status || done)
		return status;
	if (o.verify && !have_bpf_privileges()) {
		pr_err("cannot verify runtimes: running them under phaseprof needs root, or "
		       "CAP_BPF and CAP_PERFMON; run it with sudo");
		return PP_EXIT_NO_PRIVILEGE;
	}
	status = o.nnames ? list_named(&o, &v, &n) : list_known(&o, &v, &n);
	for (size_t i = 0; o.verify && i < n; i++)
		status = verify_entry(&v[i]) ?: status;
	if (o.json)
		print_json(v, n);
	else
		print_plain(v, n);
	for (size_t i = 0; i < n; i++) {
		status = status ?: v[i].status;
		plan__free(&v[i].plan);
		profile__free(v[i].profile);
	}
	free(v);
	return status;
}
