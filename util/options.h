/* SPDX-License-Identifier: MIT */
/*
 * options.h: one option table per verb feeds getopt_long, --help, and the
 * test that checks the man page documents every option.
 */
#ifndef PHASEPROF_OPTIONS_H
#define PHASEPROF_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

struct opt_doc {
	const char *name; /* long name; NULL ends the table */
	int val;          /* short letter, or a value >= 256 for long-only options */
	const char *arg;  /* argument name, NULL for a flag */
	const char *help;
};

/* What options_parse needs to know about a verb. */
struct opt_verb {
	/*
	 * For usage errors, "see 'phaseprof NAME --help'". NULL: the handler
	 * gets -h, ':' (a value missing) and '?' (an unknown option) itself.
	 */
	const char *name;
	const char *usage;
	const struct opt_doc *docs;
	const char *examples;
	/* '+' stops at the first non-option, '-' hands each to the handler as 1, 0 permutes */
	char order;
};

/* One option of a verb: 0, or an exit code (its usage errors come from the handler). */
typedef int (*opt_handler)(int c, void *ctx, char **argv);

/*
 * Run getopt_long over argv with the verb's table, the handler taking each
 * option (optarg set). 0 to go on, with optind at the first operand; else an
 * exit code, PP_EXIT_OK with *done set after --help.
 */
int options_parse(int argc, char **argv, const struct opt_verb *v, opt_handler fn, void *ctx,
		  bool *done);
void options_help(FILE *f, const char *usage, const struct opt_doc *docs, const char *examples);

#endif /* PHASEPROF_OPTIONS_H */
