// SPDX-License-Identifier: MIT
/* options.c: option tables, see options.h */
#include <stdlib.h>
#include <string.h>
#include "exitcodes.h"
#include "options.h"

/* longopts has room for every entry plus the terminator, shortopts for 3 bytes an entry plus 3 */
static void options_build(const struct opt_doc *docs, char order, struct option *longopts,
			  char *shortopts)
{
	size_t n = 0, s = 0;

	if (order)
		shortopts[s++] = order;
	shortopts[s++] = ':';
	for (; docs[n].name; n++) {
		longopts[n] = (struct option){ docs[n].name,
					       docs[n].arg ? required_argument : no_argument, NULL,
					       docs[n].val };
		if (docs[n].val < 256) {
			shortopts[s++] = (char)docs[n].val;
			if (docs[n].arg)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){ 0 };
	shortopts[s] = '\0';
}

/* the same words as cmd_usage_error (profiles/cmdutil.c): tests check them */
static int usage_error(const char *verb, const char *fmt, const char *arg)
{
	fprintf(stderr, "phaseprof: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nsee 'phaseprof %s --help'\n", verb);
	return PP_EXIT_USAGE;
}

static int parse_one(int c, char **argv, const struct opt_verb *v, opt_handler fn, void *ctx,
		     bool *done)
{
	if (!v->name)
		return fn(c, ctx, argv);
	switch (c) {
	case 'h':
		options_help(stdout, v->usage, v->docs, v->examples);
		*done = true;
		return PP_EXIT_OK;
	case ':':
		return usage_error(v->name, "option '%s' needs a value", argv[optind - 1]);
	case '?':
		return usage_error(v->name, "unknown option '%s'", argv[optind - 1]);
	default:
		return fn(c, ctx, argv);
	}
}

int options_parse(int argc, char **argv, const struct opt_verb *v, opt_handler fn, void *ctx,
		  bool *done)
{
	struct option *longopts;
	char *shortopts;
	size_t n = 0;
	int c, err = 0;

	while (v->docs[n].name)
		n++;
	longopts = calloc(n + 1, sizeof(*longopts));
	shortopts = malloc(3 * n + 3);
	if (!longopts || !shortopts) {
		free(longopts);
		free(shortopts);
		fprintf(stderr, "phaseprof: out of memory\n");
		return PP_EXIT_FAILURE;
	}
	options_build(v->docs, v->order, longopts, shortopts);
	*done = false;
	optind = 0; /* 0, not 1: glibc then reads the ordering from this verb's shortopts */
	opterr = 0;
	while (!err && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
		err = parse_one(c, argv, v, fn, ctx, done);
	free(longopts);
	free(shortopts);
	return err;
}

void options_help(FILE *f, const char *usage, const struct opt_doc *docs, const char *examples)
{
	fputs(usage, f);
	fputs("\noptions:\n", f);
	for (; docs->name; docs++) {
		char left[64];

		if (docs->val < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", docs->val, docs->name,
				 docs->arg ? " " : "", docs->arg ? docs->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", docs->name, docs->arg ? " " : "",
				 docs->arg ? docs->arg : "");
		fprintf(f, "  %-26s %s\n", left, docs->help);
	}
	if (examples)
		fprintf(f, "\n%s", examples);
}
