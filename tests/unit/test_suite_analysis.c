// SPDX-License-Identifier: MIT
/*
 * test_suite_analysis.c: the ranking's verdicts on stored runs made up here.
 * Runtime "lazy" spends 40 ms more in execute; on the long case "quick" then
 * takes the larger share of the time, and its start-up is a tenth of a
 * millisecond slower in every run: a rank test calls that certain, yet it is
 * far below 1% of a 62 ms run, and a shared machine makes such shifts.
 */
#include <stdlib.h>
#include "check.h"
#include "suite_analysis.h"

enum { NRUNS = 5 };

static const struct {
	const char *name;
	double startup, load, execute;
} cases[] = { { "short", 0.3, 0, 1 }, { "long", 0.3, 2, 60 }, { "stdin", 0.3, 0, 40 } };
static char *runtimes[] = { "quick", "lazy" };

static void fill_run(struct srun *r, size_t c, size_t rt, size_t i)
{
	double jitter = 0.002 * (double)i; /* distinct values, in the same order on both */
	double *w = r->wall_ms;

	r->c = c;
	r->r = rt;
	r->outcome = RUN_OK;
	w[PP_PHASE_STARTUP] = cases[c].startup + jitter;
	if (rt == 0 && c == 1)
		w[PP_PHASE_STARTUP] += 0.12;
	w[PP_PHASE_LOAD] = cases[c].load + jitter;
	w[PP_PHASE_EXECUTE] = cases[c].execute + jitter + (rt == 1 ? 40 : 0);
	w[SUITE_PHASE_RUN] = w[PP_PHASE_STARTUP] + w[PP_PHASE_LOAD] + w[PP_PHASE_EXECUTE];
	r->measured[PP_PHASE_STARTUP] = r->measured[PP_PHASE_LOAD] = true;
	r->measured[PP_PHASE_EXECUTE] = r->measured[SUITE_PHASE_RUN] = true;
}

static const struct ranked_case *ranked(const struct analysis *a, const char *name)
{
	for (size_t i = 0; i < a->nrank; i++)
		if (!strcmp(a->d->cases[a->rank[i].c].name, name))
			return &a->rank[i];
	return NULL;
}

int main(void)
{
	struct scase sc[3];
	struct srun runs[3 * 2 * NRUNS] = { 0 };
	struct sdata d = { sc, 3, runtimes, 2, runs, 0 };
	struct analysis a;
	const struct ranked_case *rc;

	for (size_t c = 0; c < 3; c++) {
		sc[c] = (struct scase){ .name = (char *)cases[c].name, .expect_exit = -1 };
		for (size_t rt = 0; rt < 2; rt++)
			for (size_t i = 0; i < NRUNS; i++)
				fill_run(&runs[d.nruns++], c, rt, i);
	}
	CHECK_INT(analysis__run(&a, &d, false, SUITE_PHASE_RUN), 0);
	CHECK_INT(a.nrank, 3);

	rc = ranked(&a, "short");
	CHECK(rc && rc->slow == 1 && rc->phase == PP_PHASE_EXECUTE);
	CHECK(rc && rc->extra_ms > 39.9 && rc->significant);

	/* quick's start-up: certain by the rank test, yet only 0.2% of the run */
	rc = ranked(&a, "long");
	CHECK(rc && rc->slow == 0 && rc->phase == PP_PHASE_STARTUP);
	CHECK(rc && rc->extra_ms > NOISE_FLOOR_MS && rc->p < SIGNIFICANCE);
	CHECK(rc && !rc->significant);
	analysis__free(&a);
	return checks_report("test_suite_analysis");
}
