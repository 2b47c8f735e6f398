/* SPDX-License-Identifier: MIT */
/*
 * phase_names.h: the phases' names, once: in probe files, phases.json, the
 * report, the [phase] frames of folded stacks and the flame graph's colours.
 * Header-only, so the flame graph library has it without linking the collector.
 */
#ifndef PHASEPROF_PHASE_NAMES_H
#define PHASEPROF_PHASE_NAMES_H

#include <linux/types.h>
#include "phaseprof.h"

/* The name of a phase (enum pp_phase), or NULL for a number that is none. */
static inline const char *pp_phase_name(int phase)
{
	static const char *const names[PP_PHASE_COUNT] = {
		[PP_PHASE_STARTUP] = "startup", [PP_PHASE_LOAD] = "load",
		[PP_PHASE_COMPILE] = "compile", [PP_PHASE_INSTANTIATE] = "instantiate",
		[PP_PHASE_EXECUTE] = "execute", [PP_PHASE_TEARDOWN] = "teardown",
		[PP_PHASE_UNKNOWN] = "unknown",
	};

	return phase >= 0 && phase < PP_PHASE_COUNT ? names[phase] : NULL;
}

#endif /* PHASEPROF_PHASE_NAMES_H */
