// SPDX-License-Identifier: MIT
/*
 * cmd_suite.c: `phaseprof suite`: differential testing of several runtimes
 * over a benchmark suite (WarpDiff, ASE 2023), stored in SQLite. This file
 * only picks the subcommand; see suite_run.c, suite_report.c, suite_gate.c.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "exitcodes.h"
#include "suite.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} subcommands[] = {
	{ "run", suite_run, "run every case on every runtime N times into DIR/results.sqlite" },
	{ "report", suite_report,
	  "per case, runtime and phase statistics and the WarpDiff ranking" },
	{ "gate", suite_gate, "exit 1 when a phase got slower than in a baseline, beyond noise" },
	{ "merge", suite_merge, "combine the results of shards into one database" },
	{ 0 },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: phaseprof suite COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; subcommands[i].name; i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "\n'phaseprof suite COMMAND --help' shows a command's options; "
		   "man phaseprof-suite has more.\n"
		   "\nexamples:\n"
		   "  sudo phaseprof suite run -x wasm3,iwasm,node -n 5 -o out examples/suite\n"
		   "  phaseprof suite report out\n"
		   "  phaseprof suite gate base/results.sqlite out/results.sqlite\n");
}

int cmd_suite(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return PP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return PP_EXIT_OK;
	}
	for (size_t i = 0; subcommands[i].name; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr,
		"phaseprof: '%s' is not a suite command (run, report, gate, merge)\n"
		"see 'phaseprof suite --help'\n",
		argv[1]);
	return PP_EXIT_USAGE;
}
