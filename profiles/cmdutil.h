/* SPDX-License-Identifier: MIT */
/*
 * cmdutil.h: what several verbs do the same way, with their messages and exit
 * codes: finding the runtime binary, and the profile that applies to it.
 */
#ifndef PHASEPROF_CMDUTIL_H
#define PHASEPROF_CMDUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include "profile.h"

/* Say what is wrong with the command line ("phaseprof: " fmt with arg), point
 * at the verb's --help, and give the usage exit code. */
int cmd_usage_error(const char *verb, const char *fmt, const char *arg);

/* The runtime (a name on PATH or a path), checked to be an ELF executable.
 * 0, or an exit code (PP_EXIT_NOT_FOUND, PP_EXIT_NOT_ELF) after saying why. */
int cmd_locate_runtime(const char *spec, char *path, size_t len);

/*
 * The profile from --probes FILE (probes non-NULL), else the one whose binaries
 * name fits the binary at path. 0, or an exit code after saying why;
 * PP_EXIT_NO_PROFILE is said only when no_profile_is_error (a caller that falls
 * back says what it does instead).
 */
int cmd_load_profile(const char *probes, const char *path, bool no_profile_is_error,
		     struct profile **p);

#endif /* PHASEPROF_CMDUTIL_H */
