/* SPDX-License-Identifier: MIT */
/* commands.h: one entry point per phaseprof verb; each returns an exit code (exitcodes.h). */
#ifndef PHASEPROF_COMMANDS_H
#define PHASEPROF_COMMANDS_H

int cmd_record(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_probes(int argc, char **argv);
int cmd_runtimes(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_suite(int argc, char **argv);
int cmd_cache(int argc, char **argv);

#endif /* PHASEPROF_COMMANDS_H */
