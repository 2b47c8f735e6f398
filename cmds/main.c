// SPDX-License-Identifier: MIT
/*
 * main.c: phaseprof's entry: picks the verb from a command table. Without a
 * verb (`phaseprof -x node -- app.wasm`) it records. Only main() decides the
 * exit status; verbs return it.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "exitcodes.h"
#include "flamegraph.h"
#include "privs.h"
#include "runtitle.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

/* flamegraph, titled from the run's phases.json when given one run's stacks.folded */
static int cmd_flamegraph_run(int argc, char **argv)
{
	return cmd_flamegraph_titled(argc, argv, runtitle_from_dir);
}

static const struct cmd commands[] = {
	{ "record", cmd_record, "run a runtime and time its phases (the default)" },
	{ "resolve", cmd_resolve, "list the functions a probe spec matches, or name addresses" },
	{ "probes", cmd_probes, "make a profile into named uprobe events for perf (install, list, remove)" },
	{ "flamegraph", cmd_flamegraph_run, "render folded stacks as an interactive SVG flame graph" },
	{ "diff", cmd_diff, "render a differential flame graph of two folded files" },
	{ "runtimes", cmd_runtimes, "list known runtimes: installed?, version, which probes resolve" },
	{ "compare", cmd_compare, "run several runtimes on one app, N times, and rank phase anomalies" },
	{ "suite", cmd_suite, "run runtimes over a benchmark suite into SQLite; rank, gate, merge" },
	{ "cache", cmd_cache, "list or drop what is kept between runs (BPF programs, plans, kernel symbols)" },
	{ "help", cmd_help, "show this help, or a command's: help COMMAND" },
	{ "version", cmd_version, "show phaseprof's version" },
	{ 0 },
};

/* `phaseprof help VERB` is `phaseprof VERB --help`; plain `help` lists the verbs */
static int cmd_help(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "help")) {
		char *args[] = { argv[1], "--help", NULL };

		for (const struct cmd *c = commands; c->name; c++)
			if (!strcmp(argv[1], c->name))
				return c->fn(2, args);
		fprintf(stderr, "phaseprof: '%s' is not a phaseprof command; see 'phaseprof help'\n",
			argv[1]);
		return PP_EXIT_USAGE;
	}
	printf("usage: phaseprof [record] -x RUNTIME [options] -- ARGS...\n"
	       "       phaseprof COMMAND [options]\n\ncommands:\n");
	for (const struct cmd *c = commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->help);
	printf("\n'phaseprof help COMMAND' (or 'phaseprof COMMAND --help') shows a command's options;\n"
	       "man phaseprof-COMMAND has more.\n"
	       "\nexamples:\n"
	       "  sudo phaseprof -x node -o out -- app.wasm\n"
	       "  phaseprof resolve -x node 'v8::internal::wasm::*Compile*'\n");
	return PP_EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
	printf("phaseprof %s\n", PHASEPROF_VERSION);
	return PP_EXIT_OK;
}

int main(int argc, char **argv)
{
	char why[256];

	if (privs_init(why, sizeof(why))) {
		fprintf(stderr, "phaseprof: %s\n", why);
		return PP_EXIT_USAGE;
	}
	if (argc < 2) {
		cmd_help(argc, argv);
		return PP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return cmd_record(argc, argv);
	for (const struct cmd *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "phaseprof: '%s' is not a phaseprof command; see 'phaseprof help'\n",
		argv[1]);
	return PP_EXIT_USAGE;
}
