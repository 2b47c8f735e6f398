// SPDX-License-Identifier: MIT
/* suite_stats.c: see suite_stats.h; the formulas are in man/phaseprof-suite.1. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "suite_stats.h"

#define MW_EXACT_MAX 30

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v by linear interpolation between order statistics. */
static double quantile(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;

	return i + 1 < n ? v[i] + (pos - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

/*
 * The rank j (from 1) of the lower end of the 95% CI of a median: the largest
 * j with P(Binomial(n, 1/2) <= j - 1) <= 0.025; the upper end is n - j + 1.
 * 0 when even j = 1 is too wide a bet (n < 6).
 */
static size_t median_ci_rank(size_t n)
{
	double p = pow(0.5, (double)n), cum = 0, term = p;
	size_t j = 0;

	for (size_t k = 0; k < n; k++) {
		cum += term;
		if (cum > 0.025)
			break;
		j = k + 1;
		term = term * (double)(n - k) / (double)(k + 1);
	}
	return j;
}

void stats_summary(double *v, size_t n, struct summary *s)
{
	double *dev;
	size_t j;

	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	s->min = v[0];
	s->max = v[n - 1];
	s->median = quantile(v, n, 0.5);
	s->q1 = quantile(v, n, 0.25);
	s->q3 = quantile(v, n, 0.75);
	j = median_ci_rank(n);
	s->ci_lo = j ? v[j - 1] : v[0];
	s->ci_hi = j ? v[n - j] : v[n - 1];
	dev = malloc(n * sizeof(*dev));
	if (!dev)
		return;
	for (size_t i = 0; i < n; i++)
		dev[i] = fabs(v[i] - s->median);
	qsort(dev, n, sizeof(*dev), cmp_double);
	s->mad = quantile(dev, n, 0.5);
	free(dev);
}

struct ranked {
	double x;
	bool from_a;
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const struct ranked *)a)->x, &((const struct ranked *)b)->x);
}

/* U of a (pairs a > b, ties counting half) and the tie term sum(t^3 - t). -1 on ENOMEM. */
static double u_statistic(const double *a, size_t na, const double *b, size_t nb, double *ties)
{
	size_t n = na + nb, i = 0;
	struct ranked *v = malloc(n * sizeof(*v));
	double rank_sum = 0;

	if (!v)
		return -1;
	for (size_t k = 0; k < na; k++)
		v[k] = (struct ranked){ a[k], true };
	for (size_t k = 0; k < nb; k++)
		v[na + k] = (struct ranked){ b[k], false };
	qsort(v, n, sizeof(*v), cmp_ranked);
	*ties = 0;
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && v[j + 1].x == v[i].x)
			j++;
		/* ranks i+1 .. j+1 share their mean */
		for (size_t k = i; k <= j; k++)
			if (v[k].from_a)
				rank_sum += (double)(i + j + 2) / 2;
		*ties += pow((double)(j - i + 1), 3) - (double)(j - i + 1);
		i = j + 1;
	}
	free(v);
	return rank_sum - (double)na * (double)(na + 1) / 2;
}

/* P(U >= u) for sample sizes na, nb without ties: the arrangements counted. */
static double exact_upper(size_t na, size_t nb, double u)
{
	size_t umax = na * nb;
	/* f[j][k]: arrangements of i a's and j b's with U = k, rolled over i */
	double *f = calloc((nb + 1) * (umax + 1), sizeof(*f)), total = 0, upper = 0;

	if (!f)
		return 1;
	for (size_t j = 0; j <= nb; j++)
		f[j * (umax + 1)] = 1; /* no a yet: U = 0 */
	for (size_t i = 1; i <= na; i++)
		/*
		 * the largest element is an a (above all j b's: U - j before it) or a b
		 * (adds nothing): N(i,j,k) = N(i-1,j,k-j) + N(i,j-1,k); j rising reads the
		 * new N(i,j-1), k falling the old N(i-1,j)
		 */
		for (size_t j = 0; j <= nb; j++) {
			double *row = f + j * (umax + 1);

			for (size_t k = umax + 1; k-- > 0;)
				row[k] = (k >= j ? row[k - j] : 0) +
					 (j ? f[(j - 1) * (umax + 1) + k] : 0);
		}
	for (size_t k = 0; k <= umax; k++) {
		total += f[nb * (umax + 1) + k];
		if ((double)k >= u - 1e-9)
			upper += f[nb * (umax + 1) + k];
	}
	free(f);
	return upper / total;
}

static double normal_upper(double z)
{
	return 0.5 * erfc(z / sqrt(2.0));
}

double stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			  enum mw_alternative alt)
{
	double ties, u, mu, sigma, n = (double)(na + nb), up, down;

	if (!na || !nb)
		return 1;
	u = u_statistic(a, na, b, nb, &ties);
	if (u < 0)
		return 1;
	if (!ties && na <= MW_EXACT_MAX && nb <= MW_EXACT_MAX) {
		up = exact_upper(na, nb, u);
		/* the distribution is symmetric: P(U <= u) = P(U >= na nb - u) */
		down = exact_upper(na, nb, (double)(na * nb) - u);
	} else {
		mu = (double)na * (double)nb / 2;
		sigma = sqrt((double)na * (double)nb / 12 * ((n + 1) - ties / (n * (n - 1))));
		if (sigma <= 0)
			return 1;
		up = normal_upper((u - mu - 0.5) / sigma);
		down = normal_upper((mu - u - 0.5) / sigma);
	}
	if (alt == MW_GREATER)
		return up > 1 ? 1 : up;
	return 2 * (up < down ? up : down) > 1 ? 1 : 2 * (up < down ? up : down);
}

int stats_warpdiff(const double *t, size_t ncases, size_t nrt, double *dist, double *ratio)
{
	double *norm = calloc(ncases * nrt + 1, sizeof(*norm)),
	       *oracle = calloc(nrt + 1, sizeof(*oracle));
	size_t used = 0;

	if (!norm || !oracle) {
		free(norm);
		free(oracle);
		return -ENOMEM;
	}
	for (size_t c = 0; c < ncases; c++) {
		double l2 = 0;

		for (size_t r = 0; r < nrt; r++)
			l2 += t[c * nrt + r] * t[c * nrt + r];
		l2 = sqrt(l2);
		dist[c] = l2 > 0 ? 0 : -1;
		for (size_t r = 0; l2 > 0 && r < nrt; r++) {
			norm[c * nrt + r] = t[c * nrt + r] / l2;
			oracle[r] += norm[c * nrt + r];
		}
		used += l2 > 0;
	}
	for (size_t r = 0; used && r < nrt; r++)
		oracle[r] /= (double)used;
	for (size_t c = 0; c < ncases; c++)
		for (size_t r = 0; dist[c] >= 0 && r < nrt; r++) {
			double d = norm[c * nrt + r] - oracle[r];

			dist[c] += d * d;
			if (ratio)
				ratio[c * nrt + r] =
				    oracle[r] > 0 ? norm[c * nrt + r] / oracle[r] : 0;
		}
	for (size_t c = 0; c < ncases; c++)
		if (dist[c] >= 0)
			dist[c] = sqrt(dist[c]);
	free(norm);
	free(oracle);
	return 0;
}
