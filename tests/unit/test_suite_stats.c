// SPDX-License-Identifier: MIT
/*
 * test_suite_stats.c: the suite's statistics against references computed
 * independently (in Python, by the definitions, not by this code's method):
 *
 *   import math, itertools
 *   t = [[10,20,30], [11,19,33], [10,20,90], [5,10,15]]
 *   norm = [[x / math.sqrt(sum(y*y for y in r)) for x in r] for r in t]
 *   m = [sum(r[i] for r in norm) / len(norm) for i in range(3)]
 *   dist = [math.sqrt(sum((r[i] - m[i])**2 for i in range(3))) for r in norm]
 *   ratio_C = [norm[2][i] / m[i] for i in range(3)]
 *
 * and the Mann-Whitney p-values by enumerating every split of the pooled
 * sample (itertools.combinations) and counting those with U >= the observed U.
 */
#include <math.h>
#include <stdio.h>
#include "check.h"
#include "suite_stats.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void test_warpdiff(void)
{
	const double t[] = { 10, 20, 30, 11, 19, 33, 10, 20, 90, 5, 10, 15 };
	double dist[4], ratio[12];

	CHECK_INT(stats_warpdiff(t, 4, 3, dist, ratio), 0);
	CHECK(NEAR(dist[0], 0.112344404911));
	CHECK(NEAR(dist[1], 0.064000271728));
	CHECK(NEAR(dist[2], 0.282530098447));
	CHECK(NEAR(dist[3], 0.112344404911));
	/* case C: the third runtime is the one slower than the usual ratio */
	CHECK(NEAR(ratio[6], 0.468898365870));
	CHECK(NEAR(ratio[7], 0.489016834979));
	CHECK(NEAR(ratio[8], 1.139532608597));
	/* scale does not matter: case D is case A halved, and they are the same distance */
	CHECK(NEAR(dist[0], dist[3]));
}

static void test_warpdiff_zero(void)
{
	const double t[] = { 0, 0, 1, 2 };
	double dist[2];

	CHECK_INT(stats_warpdiff(t, 2, 2, dist, NULL), 0);
	CHECK(dist[0] == -1);
	CHECK(NEAR(dist[1], 0)); /* the only counted row is the oracle */
}

static void test_mann_whitney(void)
{
	const double a[] = { 12.1, 13.5, 12.9, 14.2, 13.3 }, b[] = { 10.2, 11.1, 10.8, 12.5, 11.0 };
	const double a3[] = { 3.1, 5.2, 4.4, 6.0, 2.9, 5.5 },
		     b3[] = { 4.0, 3.3, 5.0, 2.5, 3.8, 4.1, 3.0 };
	const double lo[] = { 1, 2, 3, 4 }, hi[] = { 5, 6, 7, 8 };
	double big_a[40], big_b[40];

	CHECK(NEAR(stats_mann_whitney(a, 5, b, 5, MW_GREATER), 0.007936507936507936));
	CHECK(NEAR(stats_mann_whitney(b, 5, a, 5, MW_GREATER), 0.996031746031746));
	CHECK(NEAR(stats_mann_whitney(a, 5, b, 5, MW_TWO_SIDED), 2 * 0.007936507936507936));
	CHECK(NEAR(stats_mann_whitney(lo, 4, hi, 4, MW_GREATER), 1.0));
	CHECK(NEAR(stats_mann_whitney(hi, 4, lo, 4, MW_GREATER), 0.014285714285714285));
	CHECK(NEAR(stats_mann_whitney(a3, 6, b3, 7, MW_GREATER), 0.11713286713286714));
	CHECK(NEAR(stats_mann_whitney(b3, 7, a3, 6, MW_GREATER), 0.9096736596736597));
	CHECK(stats_mann_whitney(a, 0, b, 5, MW_GREATER) == 1);
	/* ties and large samples: the normal approximation; identical samples are not different */
	for (int i = 0; i < 40; i++) {
		big_a[i] = i % 7;
		big_b[i] = i % 7 + (i < 20 ? 3 : 0);
	}
	CHECK(stats_mann_whitney(big_a, 40, big_a, 40, MW_TWO_SIDED) > 0.9);
	CHECK(stats_mann_whitney(big_b, 40, big_a, 40, MW_GREATER) < 0.01);
}

static void test_summary(void)
{
	double v[] = { 5, 1, 4, 2, 3, 100 }, w[] = { 7 };
	struct summary s;

	stats_summary(v, 6, &s);
	CHECK(NEAR(s.median, 3.5));
	CHECK(NEAR(s.min, 1) && NEAR(s.max, 100));
	/* |x - 3.5| = 2.5 1.5 0.5 0.5 1.5 96.5: median 1.5 */
	CHECK(NEAR(s.mad, 1.5));
	CHECK(NEAR(s.q1, 2.25) && NEAR(s.q3, 4.75));
	/* n = 6: P(Bin(6, .5) <= 0) = 1/64 <= 0.025 < 7/64, so x(1)..x(6) */
	CHECK(NEAR(s.ci_lo, 1) && NEAR(s.ci_hi, 100));
	stats_summary(w, 1, &s);
	CHECK(s.n == 1 && NEAR(s.median, 7) && NEAR(s.mad, 0));
}

static void test_ci_rank(void)
{
	double v[20];
	struct summary s;

	/* n = 20: P(Bin(20, .5) <= 5) = 0.0207 <= 0.025 < P(<= 6) = 0.0577: x(6)..x(15) */
	for (int i = 0; i < 20; i++)
		v[i] = 20 - i;
	stats_summary(v, 20, &s);
	CHECK(NEAR(s.ci_lo, 6) && NEAR(s.ci_hi, 15));
}

int main(void)
{
	test_warpdiff();
	test_warpdiff_zero();
	test_mann_whitney();
	test_summary();
	test_ci_rank();
	return checks_report("test_suite_stats");
}
