// SPDX-License-Identifier: MIT
/*
 * suite_drill.c: `suite run --drill K`: after the batch, the K cases ranked
 * highest are run again, with stack sampling, on their slow runtime and on
 * the fastest other one; their stacks, restricted to the phase that drives
 * the anomaly, become a differential flame graph (flamegraph/):
 * DIR/drill/bBATCH/CASE/diff-PHASE.svg, red where the slow runtime spends more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PR_DOMAIN "suite"
#include "flamegraph.h"
#include "log.h"
#include "outfile.h"
#include "suite_analysis.h"
#include "suite_run.h"

#define DRILL_FREQ "999" /* when the batch itself ran without stacks (-F 0) */

static const struct rt *rt_by_label(const struct runner *R, const char *label)
{
	for (size_t i = 0; i < R->nrts; i++)
		if (!strcmp(R->rts[i].label, label))
			return &R->rts[i];
	return NULL;
}

/* The used runtime, other than slow, with the smallest median of the ranked time. */
static ssize_t fastest_other(const struct analysis *a, const struct ranked_case *rc)
{
	ssize_t best = -1;

	for (size_t r = 0; r < a->d->nrts; r++) {
		const struct cell *cl = analysis__cell(a, rc->c, r);

		if (!a->rt_used[r] || r == rc->slow)
			continue;
		if (best < 0 || cl->st[a->metric].median <
				    analysis__cell(a, rc->c, (size_t)best)->st[a->metric].median)
			best = (ssize_t)r;
	}
	return best;
}

/* Keep the stacks of one phase: the lines with a "[phase]" frame. */
static int filter_phase(int dirfd, const char *from, const char *to, const char *phase)
{
	char tag[64], line[65536];
	struct outfile of;
	FILE *in;
	size_t kept = 0;
	int fd = openat(dirfd, from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err;

	snprintf(tag, sizeof(tag), "[%s];", phase);
	in = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!in) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	err = outfile_begin(&of, dirfd, to);
	while (!err && fgets(line, sizeof(line), in)) {
		const char *at = strstr(line, tag);

		if (at && (at == line || at[-1] == ';')) {
			fputs(line, of.f);
			kept++;
		}
	}
	fclose(in);
	if (err)
		return err;
	err = outfile_commit(&of);
	return err ?: kept ? 0 : -ENODATA;
}

/* Run c on r with stacks into cfd/LABEL, and keep the phase's stacks there as PHASE.folded. */
static int drill_run(const struct runner *R, const struct suite_case *c, const struct rt *r,
		     int cfd, const char *cdir, const char *phase, char *folded, size_t len)
{
	const char *name = r->label, *freq = strcmp(R->o->freq, "0") ? R->o->freq : DRILL_FREQ;
	char dir[PATH_MAX + 256], out[80];
	bool timed_out;
	int fd = suite_subdirs(cfd, &name, 1), status, err;

	if (fd < 0)
		return fd;
	snprintf(dir, sizeof(dir), "%s/%s", cdir, r->label);
	status = suite_record(R, c, r, fd, dir, freq, &timed_out);
	snprintf(out, sizeof(out), "%s.folded", phase);
	err = status < 0 ? status : filter_phase(fd, "stacks.folded", out, phase);
	close(fd);
	if (err)
		pr_warn("drill: %s on %s: %s (record exited %d; see %s/stderr)", c->name, r->label,
			err == -ENODATA ? "no stacks in that phase" : strerror(-err), status, dir);
	snprintf(folded, len, "%s/%s", dir, out);
	return err;
}

static int draw_diff(int cfd, const char *a, const char *b, const struct rt *fast,
		     const struct rt *slow, const char *kase, const char *phase, const char *cdir)
{
	struct flame_opts opts;
	struct outfile of;
	char name[80], title[512];
	int err;

	snprintf(name, sizeof(name), "diff-%s.svg", phase);
	snprintf(title, sizeof(title), "%s, %s phase: %s against %s (the fastest other)", kase,
		 phase, slow->label, fast->label);
	flame_opts_init(&opts);
	opts.title = title;
	opts.label_a = fast->label;
	opts.label_b = slow->label;
	err = outfile_begin(&of, cfd, name);
	if (err)
		return err;
	err = flame_render_diff(a, b, of.f, &opts, false);
	if (err) {
		outfile_abort(&of);
		return err;
	}
	err = outfile_commit(&of);
	if (!err)
		printf("drill: %s: %s/%s\n", title, cdir, name);
	return err;
}

static void drill_one(struct runner *R, const struct suite *s, const struct analysis *a,
		      const struct ranked_case *rc, int dirfd)
{
	const char *kase = a->d->cases[rc->c].name;
	const struct suite_case *c = suite__find(s, kase);
	ssize_t fast = fastest_other(a, rc);
	const struct rt *f = fast >= 0 ? rt_by_label(R, a->d->rts[fast]) : NULL;
	const struct rt *sl = rt_by_label(R, a->d->rts[rc->slow]);
	char bname[32], cdir[PATH_MAX + 128], fa[PATH_MAX + 512], fb[PATH_MAX + 512];
	const char *path[3] = { "drill", bname, kase }, *phase;
	int cfd;

	if (!c || !f || !sl || rc->phase < 0) {
		pr_warn("drill: cannot re-run %s: not in this suite and batch, or no phase to show",
			kase);
		return;
	}
	phase = suite__stat_name(rc->phase);
	snprintf(bname, sizeof(bname), "b%" PRId64, R->batch);
	snprintf(cdir, sizeof(cdir), "%s/drill/%s/%s", R->dir, bname, kase);
	cfd = suite_subdirs(dirfd, path, 3);
	if (cfd < 0) {
		pr_warn("drill: cannot make %s: %s", cdir, strerror(-cfd));
		return;
	}
	if (!drill_run(R, c, f, cfd, cdir, phase, fa, sizeof(fa)) &&
	    !drill_run(R, c, sl, cfd, cdir, phase, fb, sizeof(fb)) &&
	    draw_diff(cfd, fa, fb, f, sl, kase, phase, cdir))
		pr_warn("drill: cannot draw the flame graph of %s in %s", kase, cdir);
	close(cfd);
}

int suite_drill(struct runner *R, const struct suite *s, int dirfd)
{
	struct sdata d;
	struct analysis a;
	char err[1024];

	if (store__load(&R->st, false, &d, err, sizeof(err))) {
		fprintf(stderr, "phaseprof: %s\n", err);
		return -EIO;
	}
	if (analysis__run(&a, &d, false, SUITE_PHASE_RUN)) {
		sdata__free(&d);
		return -ENOMEM;
	}
	if (!a.nrank)
		pr_warn("drill: no case is ranked, nothing to drill into");
	for (size_t i = 0, n = 0; i < a.nrank && n < R->o->drill; i++) {
		const struct ranked_case *rc = &a.rank[i];

		/* off the usual ratio by being fast elsewhere: no slower phase to look at */
		if (rc->extra_ms <= NOISE_FLOOR_MS) {
			printf("drill: %s skipped: %s is off the usual ratio but no slower in any "
			       "phase\n",
			       d.cases[rc->c].name, d.rts[rc->slow]);
			continue;
		}
		drill_one(R, s, &a, rc, dirfd);
		n++;
	}
	analysis__free(&a);
	sdata__free(&d);
	return 0;
}
