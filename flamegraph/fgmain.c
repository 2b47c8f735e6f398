// SPDX-License-Identifier: MIT
/*
 * fgmain.c: phaseprof-flamegraph, the flame graph verbs without the
 * collector, for the benchmark and for machines without BPF.
 * phaseprof-flamegraph [flamegraph|diff] ARGS...
 */
#include <string.h>

#include "flamegraph.h"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "diff"))
		return cmd_diff(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "flamegraph"))
		return cmd_flamegraph(argc - 1, argv + 1);
	argv[0] = "flamegraph";
	return cmd_flamegraph(argc, argv);
}
