/* SPDX-License-Identifier: MIT */
/*
 * suite_stats.h: the statistics of `phaseprof suite`, pure functions over
 * arrays of times: robust summaries, a distribution-free confidence interval
 * of the median, the Mann-Whitney U rank test, and the WarpDiff ranking.
 */
#ifndef PHASEPROF_SUITE_STATS_H
#define PHASEPROF_SUITE_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct summary {
	size_t n;
	double median, mad, q1, q3, min, max;
	double ci_lo, ci_hi; /* 95% CI of the median (order statistics; min..max when n < 6) */
};

/* Summarise v[0..n) (sorted in place). */
void stats_summary(double *v, size_t n, struct summary *s);

enum mw_alternative {
	MW_TWO_SIDED,
	MW_GREATER, /* a tends to be larger than b */
};

/*
 * Mann-Whitney U test of a[0..na) against b[0..nb): the p-value. Exact
 * (the U distribution counted) when both are at most 30 and nothing ties,
 * else the normal approximation with tie and continuity corrections. 1 when
 * either is empty.
 */
double stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			  enum mw_alternative alt);

/*
 * WarpDiff (ASE 2023): t is ncases x nrt (row c: case c's time on each
 * runtime). Each row is divided by its Euclidean norm; the oracle is the mean
 * of the normalised rows; dist[c] is the Euclidean distance of row c to it.
 * Rows with a zero norm get dist -1 and count for nothing. When ratio is not
 * NULL, ratio[c*nrt+r] is the normalised time over the oracle's: the runtime
 * with the largest is the one slower than the usual ratio in that case.
 * 0 or -ENOMEM.
 */
int stats_warpdiff(const double *t, size_t ncases, size_t nrt, double *dist, double *ratio);

#endif /* PHASEPROF_SUITE_STATS_H */
