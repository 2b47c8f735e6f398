// SPDX-License-Identifier: MIT
/* cmd_resolve.c: stub, being written */
#include "commands.h"
int cmd_resolve(int argc, char **argv) { return 125; }
