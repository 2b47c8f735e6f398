/* SPDX-License-Identifier: MIT */
/*
 * exitcodes.h: phaseprof's own exit codes, documented in man/phaseprof.1
 * (EXIT STATUS). On success `record` exits with the target's status instead,
 * as time(1) and perf-stat(1) do. 126 and 127 follow env(1) and the shell.
 */
#ifndef PHASEPROF_EXITCODES_H
#define PHASEPROF_EXITCODES_H

enum pp_exit {
	PP_EXIT_OK = 0,
	PP_EXIT_USAGE = 64,        /* bad command line */
	PP_EXIT_PROBE_FILE = 65,   /* a probe file does not parse */
	PP_EXIT_NO_SYMBOL = 66,    /* a phase's probe sites resolve to nothing */
	PP_EXIT_NO_PROFILE = 67,   /* no profile for this runtime */
	PP_EXIT_NO_PRIVILEGE = 77, /* neither root nor CAP_BPF+CAP_PERFMON */
	PP_EXIT_NO_BTF = 78,       /* kernel lacks BTF or the BPF features we need */
	PP_EXIT_FAILURE = 125,     /* phaseprof itself failed (attach, I/O, verifier refusal, ...) */
	PP_EXIT_NOT_ELF = 126,     /* runtime found, but not an ELF executable */
	PP_EXIT_NOT_FOUND = 127,   /* runtime binary not found */
};

#endif /* PHASEPROF_EXITCODES_H */
