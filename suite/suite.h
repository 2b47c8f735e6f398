/* SPDX-License-Identifier: MIT */
/* suite.h: the `phaseprof suite` subcommands, one file each (suite_*.c). */
#ifndef PHASEPROF_SUITE_H
#define PHASEPROF_SUITE_H

int suite_run(int argc, char **argv);
int suite_report(int argc, char **argv);
int suite_gate(int argc, char **argv);
int suite_merge(int argc, char **argv);

#endif /* PHASEPROF_SUITE_H */
