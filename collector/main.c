// SPDX-License-Identifier: MIT
/* main.c: stub, being written */
#include <string.h>
#include "commands.h"
int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "resolve"))
		return cmd_resolve(argc - 1, argv + 1);
	return cmd_record(argc, argv);
}
