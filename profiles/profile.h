/* SPDX-License-Identifier: MIT */
/*
 * profile.h: runtime profiles, the probes/NAME.probe files (format in
 * man/phaseprof-probes.5): which binaries a profile applies to, how to start
 * the runtime, and the probe sites that open and close each phase.
 */
#ifndef PHASEPROF_PROFILE_H
#define PHASEPROF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

/* `engine=`: the site fires only when that engine runs the module's code */
enum site_engine {
	ENGINE_NONE,
	ENGINE_AOT, /* the module's AOT code was loaded */
	ENGINE_JIT, /* the runtime compiled the module to machine code as it ran */
};

enum site_kind {
	SITE_DURING, /* entry opens the phase, the same function's return closes it */
	SITE_OPEN,   /* entry opens the phase */
	SITE_CLOSE,  /* entry (or return, with %return) closes the phase */
};

struct site_candidate {
	char *lib;  /* NULL: the runtime binary; else a library name or path (lib:NAME:SPEC) */
	char *spec; /* symbol spec as syms__resolve() takes it, without lib: and %return */
};

struct probe_site {
	int phase; /* enum pp_phase */
	enum site_kind kind;
	bool at_return; /* SITE_CLOSE written NAME%return */
	bool no_return; /* `no-return`: never place a return probe here */
	char *build_id; /* `build-id=HEX`, required by raw-address specs */
	enum site_engine engine;
	/* alternatives written A | B | C: the first that resolves wins */
	struct site_candidate *candidates;
	size_t ncandidates, candidates_cap;
	char *text; /* the site as written, for reports */
	int line, col;
};

/*
 * `option NAME on|off WORD...`: a named fragment of the argv template, put
 * where argv says {option:NAME} while the option is on (its default state
 * from the file, changed by profile__set_option()), left out while it is off.
 */
/* When an option is on: fixed (its state), or chosen by what the module imports. */
enum option_when {
	OPTION_FIXED,
	OPTION_IF_WASI,     /* default `wasi`: on when the module imports WASI */
	OPTION_IF_NOT_WASI, /* default `no-wasi`: on when it does not */
};

struct profile_option {
	char *name;
	bool on;
	enum option_when when; /* set back to OPTION_FIXED by profile__set_option() */
	/* `unsupported NAME TEXT`: a binary that contains TEXT cannot take this option */
	char *unsupported_text;
	char **words; /* NULL-terminated; may use {runtime} and {profile_dir} */
	size_t nwords;
	int line;
};

/* a profile name: [a-z0-9_-], so that probe_NAME fits a tracefs group and NAME.conf a file */
#define PROFILE_NAME_MAX 48

struct profile {
	char *name;
	char *path; /* the .probe file */
	char *dir;  /* its directory: {profile_dir} in argv templates */
	char **binaries; /* file names this profile applies to (`binaries`) */
	size_t nbinaries;
	/* argv template; tokens {runtime} {args} {profile_dir}; default {runtime} {args} */
	char **argv;
	size_t nargv;
	char **version_argv; /* `version` line: how to ask the runtime its version; may be empty */
	size_t nversion_argv;
	struct profile_option *options; /* in file order */
	size_t noptions;
	bool optional_phase[8]; /* indexed by enum pp_phase: `phase NAME optional` */
	/*
	 * `proven VERSION KIND DATE`: the runtime build the profile was last
	 * proven on by real runs; VERSION `source` for a profile written from the
	 * runtime's source and never run. NULL without a `proven` line.
	 */
	char *proven_version, *proven_kind, *proven_date;
	struct probe_site *sites;
	size_t nsites;
};

/* Parse a probe file. 0, or -errno with err = "FILE:LINE:COL: message". */
int profile__parse(const char *path, struct profile **out, char *err, size_t errlen);
/* Same, from a buffer; path names it in messages and sets dir. */
int profile__parse_text(const char *path, const char *text, size_t len, struct profile **out,
			char *err, size_t errlen);
void profile__free(struct profile *p);

/*
 * The profile for a binary's file name: the longest `binaries` name that is the
 * whole file name or is followed by '-' or '.' in it (iwasm-2.4.3 -> iwasm,
 * wasm-interp-wasi -> wasm-interp), over every *.probe in dirs (in order; the
 * first dir wins a tie; then the first file by name). A directory part of
 * binary_name is ignored, and missing dirs are skipped. 0 with *out set,
 * -ENOENT (err set) when none matches, another -errno (err set) when a
 * candidate file does not parse or cannot be read.
 */
int profile__find(const char *const *dirs, size_t ndirs, const char *binary_name,
		  struct profile **out, char *err, size_t errlen);

/*
 * Build the runtime's argv from p->argv (default {runtime} {args}): {runtime}
 * -> runtime_path, {profile_dir} -> p->dir, {module} -> args[0] and
 * {module_args} -> args[1..nargs) (the module, then its own arguments), {args} -> args[0..nargs) as
 * separate words, {option:NAME} -> the option's words while it is on, {{ -> {. *out is NULL-terminated and malloc'd (free it with
 * profile__free_argv()); *nout (if not NULL) counts its words. 0 or -errno.
 */
int profile__expand_argv(const struct profile *p, const char *runtime_path, char *const *args,
			 size_t nargs, char ***out, size_t *nout);
/*
 * Turn option name on or off for later profile__expand_argv() calls.
 * 0, or -ENOENT when the profile declares no such option.
 */
int profile__set_option(struct profile *p, const char *name, bool on);
/*
 * Settle the options whose default is `wasi` or `no-wasi` for a module that
 * does (wasi true) or does not import WASI.
 */
void profile__choose_options(struct profile *p, bool wasi);
/* Is the profile proven on a binary (not source-derived, not unstated)? */
bool profile__proven_on_binary(const struct profile *p);
/* The option called name, or NULL. */
const struct profile_option *profile__option(const struct profile *p, const char *name);

/* Same for p->version_argv, {args} expanding to nothing; -ENOENT without a `version` line. */
int profile__expand_version(const struct profile *p, const char *runtime_path, char ***out,
			    size_t *nout);
/* Free a NULL-terminated array of strings (from profile__expand_*, profile__default_dirs). */
void profile__free_argv(char **argv);

/*
 * The profile search path: the directories of $PHASEPROF_PROBE_PATH (colon
 * separated, empty entries skipped), then, for an installed binary, its
 * ../share/phaseprof/probes, else (the build tree's binary) the source tree's
 * probes/. NULL-terminated, for profile__free_argv().
 */
int profile__default_dirs(char ***out, size_t *nout);

/* Phase names: "startup", "load", ...; -1 for an unknown name, "unknown" for a bad phase. */
int phase__from_name(const char *name);
const char *phase__name(int phase);

#endif /* PHASEPROF_PROFILE_H */
