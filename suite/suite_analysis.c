// SPDX-License-Identifier: MIT
/*
 * suite_analysis.c: see suite_analysis.h. The ranking is WarpDiff's (ASE
 * 2023) as man/phaseprof-suite.1 writes it out; the rest (exclusions, the
 * driving phase, the rank test) is phaseprof's own and said so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suite_analysis.h"

static const char *stderr_or(const struct srun *r)
{
	return r->stderr_first && r->stderr_first[0] ? r->stderr_first : "(nothing on stderr)";
}

/* The most common value among the case's good runs (the first seen wins a tie). */
static uint64_t majority(const struct sdata *d, size_t c, bool exit_status)
{
	uint64_t best = 0;
	size_t best_n = 0;

	for (size_t i = 0; i < d->nruns; i++) {
		uint64_t v =
		    exit_status ? (uint64_t)d->runs[i].exit_status : d->runs[i].stdout_hash;
		size_t n = 0;

		if (d->runs[i].c != c || d->runs[i].outcome != RUN_OK ||
		    suite_is_compile_runtime(d->rts[d->runs[i].r]))
			continue;
		for (size_t j = i; j < d->nruns; j++)
			if (d->runs[j].c == c && d->runs[j].outcome == RUN_OK &&
			    !suite_is_compile_runtime(d->rts[d->runs[j].r]) &&
			    (exit_status ? (uint64_t)d->runs[j].exit_status
					 : d->runs[j].stdout_hash) == v)
				n++;
		if (n > best_n) {
			best = v;
			best_n = n;
		}
	}
	return best;
}

/* Why run r puts its runtime out of the case, or false. */
static bool run_excluded(const struct analysis *a, const struct srun *r, int want_exit,
			 uint64_t want_hash, bool from_file, char *why, size_t len)
{
	const struct scase *c = &a->d->cases[r->c];

	if (r->outcome == RUN_TIMEOUT)
		snprintf(why, len, "timed out after %g s: %s", c->timeout, stderr_or(r));
	else if (r->outcome == RUN_FAILED)
		snprintf(why, len, "record failed (status %d): %s", r->record_status, stderr_or(r));
	else if (r->fallback && !a->fallback_ok)
		snprintf(why, len,
			 "ran under the generic fallback (no profile sites): its phases are "
			 "not the profile's");
	else if (suite_is_compile_runtime(a->d->rts[r->r]) && !r->exit_status)
		return false; /* a compiler's output is the compiled module, not the case's */
	else if (suite_is_compile_runtime(a->d->rts[r->r]))
		snprintf(why, len, "the compiler exited with status %d: %s", r->exit_status,
			 stderr_or(r));
	else if (r->exit_status != want_exit)
		snprintf(why, len, "exit status %d, %s %d: %s", r->exit_status,
			 c->expect_exit >= 0 ? "expected" : "the others'", want_exit, stderr_or(r));
	else if (r->stdout_hash != want_hash)
		snprintf(why, len, "stdout (%" PRIu64 " bytes) differs from %s: %s",
			 r->stdout_bytes, from_file ? "the expected file" : "the other runtimes'",
			 stderr_or(r));
	else
		return false;
	return true;
}

static void find_exclusions(struct analysis *a)
{
	const struct sdata *d = a->d;

	for (size_t c = 0; c < d->ncases; c++) {
		const struct scase *sc = &d->cases[c];
		int want_exit = sc->expect_exit >= 0 ? sc->expect_exit : (int)majority(d, c, true);
		uint64_t want_hash = sc->have_expect ? sc->expect_hash : majority(d, c, false);

		for (size_t r = 0; r < d->nrts; r++)
			if (!analysis__cell(a, c, r)->nruns &&
			    !analysis__cell(a, c, r)->excluded[0])
				snprintf(analysis__cell(a, c, r)->excluded,
					 sizeof(analysis__cell(a, c, r)->excluded), "no runs");
		for (size_t i = 0; i < d->nruns; i++) {
			struct cell *cl;

			if (d->runs[i].c != c)
				continue;
			cl = analysis__cell(a, c, d->runs[i].r);
			if (!cl->excluded[0] || !strcmp(cl->excluded, "no runs"))
				run_excluded(a, &d->runs[i], want_exit, want_hash, sc->have_expect,
					     cl->excluded, sizeof(cl->excluded));
		}
	}
}

static double run_value(const struct analysis *a, const struct srun *r, int ph)
{
	return a->cpu ? r->cpu_ms[ph] : r->wall_ms[ph];
}

/* Every good run's phases into its cell's samples, then each cell summarised. */
static int fill_cells(struct analysis *a)
{
	const struct sdata *d = a->d;

	for (size_t i = 0; i < d->nruns; i++)
		if (d->runs[i].outcome == RUN_OK)
			analysis__cell(a, d->runs[i].c, d->runs[i].r)->nruns++;
	for (size_t k = 0; k < d->ncases * d->nrts; k++)
		for (int ph = 0; ph < SUITE_NSTAT; ph++) {
			a->cells[k].samples[ph] = calloc(a->cells[k].nruns + 1, sizeof(double));
			if (!a->cells[k].samples[ph])
				return -ENOMEM;
		}
	for (size_t k = 0; k < d->ncases * d->nrts; k++)
		a->cells[k].nruns = 0;
	for (size_t i = 0; i < d->nruns; i++) {
		const struct srun *r = &d->runs[i];
		struct cell *cl = analysis__cell(a, r->c, r->r);

		if (r->outcome != RUN_OK)
			continue;
		for (int ph = 0; ph < SUITE_NSTAT; ph++) {
			cl->samples[ph][cl->nruns] = run_value(a, r, ph);
			cl->measured[ph] |= r->measured[ph];
		}
		cl->nruns++;
	}
	for (size_t k = 0; k < d->ncases * d->nrts; k++)
		for (int ph = 0; ph < SUITE_NSTAT; ph++) {
			struct cell *cl = &a->cells[k];
			double *tmp = malloc((cl->nruns + 1) * sizeof(*tmp));

			if (!tmp)
				return -ENOMEM;
			/* summarise a copy: the samples keep run order for the rank tests */
			memcpy(tmp, cl->samples[ph], cl->nruns * sizeof(*tmp));
			stats_summary(tmp, cl->nruns, &cl->st[ph]);
			free(tmp);
		}
	return 0;
}

/* How many cases every used runtime ran cleanly. */
static size_t rankable(const struct analysis *a)
{
	size_t n = 0;

	for (size_t c = 0; c < a->d->ncases; c++) {
		bool ok = true;

		for (size_t r = 0; ok && r < a->d->nrts; r++)
			ok = !a->rt_used[r] || !analysis__cell(a, c, r)->excluded[0];
		n += ok;
	}
	return n;
}

/*
 * Runtimes in the vectors: all but those excluded from every case; then, while
 * leaving one more out lets more cases be ranked (and two stay), the one whose
 * absence ranks the most. A runtime that fails everywhere but once must not
 * keep every other case out of the ranking.
 */
static void pick_runtimes(struct analysis *a)
{
	size_t best_gain;

	/* an AOT variant's compile step is a compiler's time, not a run of the case: unranked */
	for (size_t r = 0; r < a->d->nrts; r++)
		for (size_t c = 0; c < a->d->ncases && !a->rt_used[r] &&
				   !suite_is_compile_runtime(a->d->rts[r]);
		     c++)
			if (!analysis__cell(a, c, r)->excluded[0])
				a->rt_used[r] = true;
	a->nused = 0;
	for (size_t r = 0; r < a->d->nrts; r++)
		a->nused += a->rt_used[r];
	do {
		size_t now = rankable(a), drop = 0;

		best_gain = 0;
		for (size_t r = 0; a->nused > 2 && r < a->d->nrts; r++) {
			size_t with_out;

			if (!a->rt_used[r])
				continue;
			a->rt_used[r] = false;
			with_out = rankable(a);
			a->rt_used[r] = true;
			if (with_out > now + best_gain) {
				best_gain = with_out - now;
				drop = r;
			}
		}
		if (best_gain) {
			a->rt_used[drop] = false;
			a->nused--;
		}
	} while (best_gain);
}

/* A case is ranked when every runtime in the vectors ran it cleanly. */
static int mark_unranked(struct analysis *a)
{
	for (size_t c = 0; c < a->d->ncases; c++)
		for (size_t r = 0; r < a->d->nrts && !a->unranked[c]; r++) {
			const struct cell *cl = analysis__cell(a, c, r);

			if (a->rt_used[r] && cl->excluded[0] &&
			    asprintf(&a->unranked[c], "%s is excluded", a->d->rts[r]) < 0)
				return -ENOMEM;
			if (a->rt_used[r] && !cl->excluded[0] && !cl->measured[a->metric] &&
			    asprintf(&a->unranked[c], "%s does not time the %s phase", a->d->rts[r],
				     suite__stat_name(a->metric)) < 0)
				return -ENOMEM;
		}
	return 0;
}

/* Pool phase ph of every used runtime but skip, on case c. n values in a new array. */
static double *others_samples(const struct analysis *a, size_t c, size_t skip, int ph, size_t *n)
{
	double *v;
	size_t total = 0;

	for (size_t r = 0; r < a->d->nrts; r++)
		if (a->rt_used[r] && r != skip)
			total += analysis__cell(a, c, r)->nruns;
	v = malloc((total + 1) * sizeof(*v));
	*n = 0;
	for (size_t r = 0; v && r < a->d->nrts; r++) {
		const struct cell *cl = analysis__cell(a, c, r);

		if (!a->rt_used[r] || r == skip)
			continue;
		memcpy(v + *n, cl->samples[ph], cl->nruns * sizeof(*v));
		*n += cl->nruns;
	}
	return v;
}

/* The mean of phase ph's medians on case c over the used runtimes but skip that time it (k). */
static double others_mean(const struct analysis *a, size_t c, size_t skip, int ph, size_t *k)
{
	double sum = 0;

	*k = 0;
	for (size_t r = 0; r < a->d->nrts; r++)
		if (a->rt_used[r] && r != skip && analysis__cell(a, c, r)->measured[ph]) {
			sum += analysis__cell(a, c, r)->st[ph].median;
			(*k)++;
		}
	return *k ? sum / (double)*k : 0;
}

/* The least extra time on a runtime's case that can be called a finding. */
static double practical_floor(const struct cell *cl)
{
	double share = NOISE_FLOOR_SHARE * cl->st[SUITE_PHASE_RUN].median;

	return share > NOISE_FLOOR_MS ? share : NOISE_FLOOR_MS;
}

/* The phase where the slow runtime spends the most beyond the others' mean, and its p. */
static void driving_phase(const struct analysis *a, struct ranked_case *rc)
{
	const struct cell *slow = analysis__cell(a, rc->c, rc->slow);
	double *pool;
	size_t n;

	rc->phase = -1;
	rc->p = 1;
	for (int ph = 0; ph < PP_PHASE_COUNT; ph++) {
		size_t k;
		double extra;

		if (!slow->measured[ph])
			continue;
		extra = slow->st[ph].median - others_mean(a, rc->c, rc->slow, ph, &k);
		if (rc->phase < 0 || extra > rc->extra_ms) {
			rc->phase = ph;
			rc->extra_ms = extra;
		}
	}
	if (rc->phase < 0)
		return;
	pool = others_samples(a, rc->c, rc->slow, rc->phase, &n);
	if (pool)
		rc->p =
		    stats_mann_whitney(slow->samples[rc->phase], slow->nruns, pool, n, MW_GREATER);
	free(pool);
	rc->significant = rc->p < SIGNIFICANCE && rc->extra_ms > practical_floor(slow);
}

static int cmp_rank(const void *x, const void *y)
{
	const struct ranked_case *a = x, *b = y;

	return a->dist > b->dist ? -1 : a->dist < b->dist ? 1 : (a->c > b->c) - (a->c < b->c);
}

static int rank_cases(struct analysis *a)
{
	size_t nc = a->d->ncases, nu = a->nused;
	double *t = calloc(nc * nu + 1, sizeof(*t)), *dist = calloc(nc + 1, sizeof(*dist));
	double *ratio = calloc(nc * nu + 1, sizeof(*ratio));
	int err =
	    !t || !dist || !ratio || !(a->rank = calloc(nc + 1, sizeof(*a->rank))) ? -ENOMEM : 0;

	for (size_t c = 0; !err && c < nc; c++) {
		if (a->unranked[c])
			continue;
		a->rank[a->nrank].c = c;
		for (size_t r = 0, k = 0; r < a->d->nrts; r++)
			if (a->rt_used[r])
				t[a->nrank * nu + k++] =
				    analysis__cell(a, c, r)->st[a->metric].median;
		a->nrank++;
	}
	if (!err)
		err = stats_warpdiff(t, a->nrank, nu, dist, ratio);
	for (size_t i = 0; !err && i < a->nrank; i++) {
		struct ranked_case *rc = &a->rank[i];

		rc->dist = dist[i];
		rc->ratio = -1;
		for (size_t r = 0, k = 0; r < a->d->nrts; r++)
			if (a->rt_used[r] && ratio[i * nu + k++] > rc->ratio) {
				rc->ratio = ratio[i * nu + k - 1];
				rc->slow = r;
			}
		driving_phase(a, rc);
	}
	if (!err)
		qsort(a->rank, a->nrank, sizeof(*a->rank), cmp_rank);
	free(t);
	free(dist);
	free(ratio);
	return err;
}

int analysis__run(struct analysis *a, const struct sdata *d, bool cpu, int metric)
{
	return analysis__run_with(a, d, cpu, metric, false);
}

int analysis__run_with(struct analysis *a, const struct sdata *d, bool cpu, int metric,
		       bool fallback_ok)
{
	size_t n = d->ncases * d->nrts;
	int err;

	memset(a, 0, sizeof(*a));
	a->d = d;
	a->fallback_ok = fallback_ok;
	a->cpu = cpu;
	a->metric = metric;
	a->cells = calloc(n + 1, sizeof(*a->cells));
	a->rt_used = calloc(d->nrts + 1, sizeof(*a->rt_used));
	a->unranked = calloc(d->ncases + 1, sizeof(*a->unranked));
	if (!a->cells || !a->rt_used || !a->unranked)
		return -ENOMEM;
	err = fill_cells(a);
	if (err)
		return err;
	find_exclusions(a);
	pick_runtimes(a);
	if (a->nused < 2) {
		for (size_t c = 0; c < d->ncases; c++)
			if (asprintf(&a->unranked[c], "fewer than two runtimes to compare") < 0)
				return -ENOMEM;
		return 0;
	}
	return mark_unranked(a) ?: rank_cases(a);
}

/* A runtime's noise as a standard deviation: 1.4826 MAD, floored. */
static double sigma(const struct summary *st)
{
	double s = 1.4826 * st->mad;

	return s > NOISE_FLOOR_MS ? s : NOISE_FLOOR_MS;
}

/* Runtime r's phase ph on case c against the other used runtimes' (see suite_analysis.h). */
static void score_phase(const struct analysis *a, size_t c, size_t r, int ph,
			struct phase_score *ps)
{
	const struct cell *cl = analysis__cell(a, c, r);
	double var = 0, *pool;
	size_t k, n, fewest = cl->nruns;

	memset(ps, 0, sizeof(*ps));
	ps->r = r;
	ps->ph = ph;
	ps->median = cl->st[ph].median;
	ps->others = others_mean(a, c, r, ph, &k);
	ps->ratio = ps->others > 0 ? ps->median / ps->others : 0;
	ps->p = 1;
	for (size_t j = 0; j < a->d->nrts; j++)
		if (a->rt_used[j] && j != r && analysis__cell(a, c, j)->measured[ph]) {
			const struct cell *o = analysis__cell(a, c, j);

			var += sigma(&o->st[ph]) * sigma(&o->st[ph]);
			fewest = o->nruns < fewest ? o->nruns : fewest;
		}
	/* one run has no spread: a distance in spreads would be a number without meaning */
	if (!k || fewest < 2)
		return;
	var /= (double)k;
	ps->scored = true;
	ps->score = (ps->median - ps->others) / sqrt(sigma(&cl->st[ph]) * sigma(&cl->st[ph]) + var);
	pool = others_samples(a, c, r, ph, &n);
	if (pool)
		ps->p = stats_mann_whitney(cl->samples[ph], cl->nruns, pool, n, MW_GREATER);
	free(pool);
	ps->anomaly = ps->score >= ANOMALY_SCORE && ps->ratio >= ANOMALY_RATIO;
}

static int cmp_score(const void *x, const void *y)
{
	const struct phase_score *a = x, *b = y;

	if (a->scored != b->scored)
		return a->scored ? -1 : 1;
	return a->score > b->score ? -1 : a->score < b->score;
}

int analysis__phase_scores(const struct analysis *a, size_t c, struct phase_score **out, size_t *n)
{
	struct phase_score *v = calloc(a->d->nrts * SUITE_NSTAT + 1, sizeof(*v));

	*n = 0;
	if (!v)
		return -ENOMEM;
	for (size_t r = 0; a->nused >= 2 && r < a->d->nrts; r++)
		for (int ph = 0; a->rt_used[r] && ph < SUITE_NSTAT; ph++) {
			size_t k;

			if (!analysis__cell(a, c, r)->measured[ph] || !others_mean(a, c, r, ph, &k))
				continue;
			score_phase(a, c, r, ph, &v[(*n)++]);
		}
	qsort(v, *n, sizeof(*v), cmp_score);
	*out = v;
	return 0;
}

void analysis__free(struct analysis *a)
{
	for (size_t k = 0; a->cells && k < a->d->ncases * a->d->nrts; k++)
		for (int ph = 0; ph < SUITE_NSTAT; ph++)
			free(a->cells[k].samples[ph]);
	for (size_t c = 0; a->unranked && c < a->d->ncases; c++)
		free(a->unranked[c]);
	free(a->cells);
	free(a->rt_used);
	free(a->unranked);
	free(a->rank);
	memset(a, 0, sizeof(*a));
}
