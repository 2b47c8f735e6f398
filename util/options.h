/* SPDX-License-Identifier: MIT */
/*
 * options.h: one option table per verb feeds getopt_long, --help, and the
 * test that checks the man page documents every option.
 */
#ifndef PHASEPROF_OPTIONS_H
#define PHASEPROF_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

struct opt_doc {
	const char *name; /* long name; NULL ends the table */
	int val;          /* short letter, or a value >= 256 for long-only options */
	const char *arg;  /* argument name, NULL for a flag */
	const char *help;
};

/* Fill longopts (room for every entry plus the terminator) and shortopts. */
void options_build(const struct opt_doc *docs, struct option *longopts, char *shortopts,
		   size_t shortlen);
void options_help(FILE *f, const char *usage, const struct opt_doc *docs, const char *examples);

#endif /* PHASEPROF_OPTIONS_H */
