/* SPDX-License-Identifier: MIT */
/*
 * suite_file.h: a benchmark suite for `phaseprof suite` (format in
 * man/phaseprof-suite.5): a plain-text file of cases, or a directory whose
 * .wasm files are each a case without arguments.
 */
#ifndef PHASEPROF_SUITE_FILE_H
#define PHASEPROF_SUITE_FILE_H

#include <stdbool.h>
#include <stddef.h>

#define SUITE_DEFAULT_TIMEOUT 60.0 /* seconds */
#define SUITE_NAME_MAX 64

struct suite_case {
	char name[SUITE_NAME_MAX]; /* [A-Za-z0-9._-], unique in the suite */
	char *module;		   /* absolute path */
	char **args;		   /* the module's arguments (NULL-terminated) */
	size_t nargs;
	char *stdin_path; /* absolute, or NULL: /dev/null */
	char **env;	  /* NAME=VALUE added to the environment */
	size_t nenv;
	char *dir;	   /* working directory (preopened as "."), or NULL: the suite's */
	char *expect_path; /* expected stdout file, or NULL: the same on every runtime */
	int expect_exit;   /* expected exit status, or -1: the same on every runtime */
	double timeout;	   /* seconds per run */
	int line;	   /* where the case starts (0 for a directory's cases) */
};

struct suite {
	char *path;    /* as given */
	char *basedir; /* relative paths in the file are relative to this */
	struct suite_case *cases;
	size_t ncases;
};

/* Parse a suite file's text. 0, or -EINVAL with err "path:line:col: why" (-ENOMEM). */
int suite__parse_text(const char *path, const char *text, size_t len, struct suite **out, char *err,
		      size_t errlen);
/* A suite file or a directory of .wasm files. 0, or -errno with err set. */
int suite__load(const char *path, struct suite **out, char *err, size_t errlen);
void suite__free(struct suite *s);
/* The case called name, or NULL. */
const struct suite_case *suite__find(const struct suite *s, const char *name);

#endif /* PHASEPROF_SUITE_FILE_H */
