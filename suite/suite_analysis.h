/* SPDX-License-Identifier: MIT */
/*
 * suite_analysis.h: from the stored runs to what `suite report` and `suite
 * gate` say: per case, runtime and phase statistics; which runtimes are
 * excluded from a case and why; the WarpDiff ranking of the cases, with the
 * runtime and phase that drive each and a rank test of significance.
 */
#ifndef PHASEPROF_SUITE_ANALYSIS_H
#define PHASEPROF_SUITE_ANALYSIS_H

#include "suite_stats.h"
#include "suite_store.h"

#define SIGNIFICANCE 0.05
#define NOISE_FLOOR_MS 0.05 /* timer and scheduling jitter below this is not a signal */
/*
 * A phase that adds less than this share of the slow runtime's whole run is
 * not called significant however small its p: on a shared machine a tenth of
 * a millisecond in a 60 ms run is a fact about the machine, not the runtime
 * (criterion's default noise threshold is the same 1%).
 */
#define NOISE_FLOOR_SHARE 0.01
/* compare: a phase this many pooled spreads above the others' mean ... */
#define ANOMALY_SCORE 3.0
/* ... and this many times that mean is flagged */
#define ANOMALY_RATIO 1.2

/* One case on one runtime. */
struct cell {
	size_t nruns;		      /* measured runs that ran */
	double *samples[SUITE_NSTAT]; /* per phase, nruns values (ms) */
	struct summary st[SUITE_NSTAT];
	bool measured[SUITE_NSTAT]; /* the profile times this phase */
	char excluded[640];	    /* why it is left out, or "" */
};

/* One ranked case. */
struct ranked_case {
	size_t c;
	double dist;	  /* WarpDiff: distance of the normalised vector to the mean one */
	size_t slow;	  /* the runtime farthest above the usual ratio */
	double ratio;	  /* its normalised time over the mean's */
	int phase;	  /* the phase where it spends the most extra time, or -1 */
	double extra_ms;  /* its median there minus the other runtimes' mean */
	double p;	  /* one-sided Mann-Whitney: that phase on it vs on the others */
	bool significant; /* p < SIGNIFICANCE and extra_ms above both noise floors */
};

struct analysis {
	const struct sdata *d;
	bool cpu;
	bool fallback_ok;   /* the generic fallback was asked for: its runs are not excluded */
	int metric;	    /* the phase the ranking uses (SUITE_PHASE_RUN by default) */
	struct cell *cells; /* d->ncases x d->nrts */
	bool *rt_used;	    /* per runtime: in the ranking's vectors */
	size_t nused;
	struct ranked_case *rank;
	size_t nrank;
	char **unranked; /* per case: why it is not ranked, or NULL when it is */
};

/*
 * One runtime's phase on one case against the other runtimes in the vectors
 * (compare's view): others is the mean of the OTHER runtimes' medians, ratio
 * is median / others; score is (median - others) over the pooled spread,
 * sqrt(s_r^2 + mean of s_j^2) with s = max(1.4826 MAD, NOISE_FLOOR_MS), and p
 * the one-sided rank test, both only when every runtime has 2 runs or more.
 */
struct phase_score {
	size_t r;
	int ph;
	double median, others, ratio, score, p;
	bool scored, anomaly; /* anomaly: score >= ANOMALY_SCORE and ratio >= ANOMALY_RATIO */
};

int analysis__run(struct analysis *a, const struct sdata *d, bool cpu, int metric);
/* ... with runs under the generic fallback ranked like the others when fallback_ok. */
int analysis__run_with(struct analysis *a, const struct sdata *d, bool cpu, int metric,
		       bool fallback_ok);
/* Every used runtime's measured phases on case c, scored, the highest score first. */
int analysis__phase_scores(const struct analysis *a, size_t c, struct phase_score **out, size_t *n);
void analysis__free(struct analysis *a);
static inline struct cell *analysis__cell(const struct analysis *a, size_t c, size_t r)
{
	return &a->cells[c * a->d->nrts + r];
}

#endif /* PHASEPROF_SUITE_ANALYSIS_H */
