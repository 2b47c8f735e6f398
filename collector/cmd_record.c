// SPDX-License-Identifier: MIT
/* cmd_record.c: stub, being written */
#include "commands.h"
int cmd_record(int argc, char **argv) { return 125; }
