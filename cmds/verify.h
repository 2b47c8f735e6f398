/* SPDX-License-Identifier: MIT */
/*
 * verify.h: `phaseprof runtimes --verify`: run the bundled WASI app
 * (examples/verify.c) under one installed runtime through `phaseprof record`
 * (an AOT compiler, a profile without execute, compiles it instead),
 * and tell per phase whether its probe sites fired, with a verdict: ready
 * (the app ran as bare, every required phase fired, no fallback), degraded
 * (it runs, but some phase is not measured, or the build cannot run WASI
 * apps at all) or broken (the run went wrong under phaseprof).
 */
#ifndef PHASEPROF_VERIFY_H
#define PHASEPROF_VERIFY_H

#include <stdbool.h>
#include "plan.h"
#include "profile.h"

enum verdict { VERDICT_READY, VERDICT_DEGRADED, VERDICT_BROKEN };

struct verify_phase {
	bool required; /* named by the profile, not optional */
	bool unresolved; /* required, and none of its sites resolves */
	bool fired;    /* one of its sites fired during the run */
	double wall_ms; /* -1 when the run reported no number */
};

struct verify_result {
	bool ran; /* the app was run under phaseprof */
	enum verdict verdict;
	char reason[2048];
	int exit_status; /* phaseprof record's */
	struct verify_phase phase[8]; /* by enum pp_phase */
};

/* The bundled app: $PHASEPROF_VERIFY_APP, the build tree's, or the installed one. */
const char *verify_app(void);
/*
 * Verify the runtime at path with profile p, resolved into pl already
 * (plan_err: why the plan could not be built at all, or NULL). 0 with *out
 * filled, or -errno when the run could not even be started (-ENOENT: no app).
 */
int verify_runtime(struct profile *p, const char *path, const struct plan *pl,
		   const char *plan_err, struct verify_result *out);
const char *verdict_name(enum verdict v);

#endif /* PHASEPROF_VERIFY_H */
