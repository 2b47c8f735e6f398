// SPDX-License-Identifier: MIT
/*
 * phases.c: the phase model (see phases.h). Two passes: the first replays the
 * events per thread into segments (time ranges with an owner) and on-CPU
 * intervals; the second resolves owners (startup, teardown, inherited from the
 * main thread) and folds everything into per-phase statistics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vec.h"
#include "phases.h"
#include "phase_rules.h"

enum owner {
	OWN_NONE,     /* outside every phase of this thread */
	OWN_EXPLICIT, /* a bracket or mark of this thread */
	OWN_LINGER,   /* after this thread's last bracket closed */
};

struct span {
	uint64_t t0, t1;
	int8_t phase;
	uint8_t owner;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

struct thr {
	uint32_t tid, tgid;
	char comm[PP_COMM_LEN];
	uint64_t start, end;
	bool ended, oncpu;
	uint64_t oncpu_since, seg_start;
	struct pp_tstate st; /* open phases, changed by phase_rules.h only */
	uint64_t entered[PP_PHASE_COUNT];
	struct spans segs, cpu, resolved;
};

struct model {
	struct thr *t;
	size_t n, cap;
	uint32_t *slot; /* open addressing: tid -> index + 1 */
	size_t nslots;
	uint32_t root;
	uint64_t unmatched;
	bool oom;
};

static int spans_add(struct spans *s, uint64_t t0, uint64_t t1, int phase, int owner)
{
	struct span *v;

	if (t1 <= t0)
		return 0;
	v = vec_grow(s->v, s->n, &s->cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->v[s->n++] = (struct span){ t0, t1, (int8_t)phase, (uint8_t)owner };
	return 0;
}

static void slot_insert(uint32_t *slot, size_t nslots, uint32_t tid, size_t index)
{
	size_t h = (tid * 2654435761u) & (nslots - 1);

	while (slot[h])
		h = (h + 1) & (nslots - 1);
	slot[h] = index + 1;
}

static int grow_slots(struct model *m)
{
	size_t nslots = m->nslots ? m->nslots * 2 : 256;
	uint32_t *slot = calloc(nslots, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++)
		slot_insert(slot, nslots, m->t[i].tid, i);
	free(m->slot);
	m->slot = slot;
	m->nslots = nslots;
	return 0;
}

static struct thr *thr_lookup(struct model *m, uint32_t tid)
{
	size_t h;

	if (!m->nslots)
		return NULL;
	h = (tid * 2654435761u) & (m->nslots - 1);
	while (m->slot[h]) {
		if (m->t[m->slot[h] - 1].tid == tid)
			return &m->t[m->slot[h] - 1];
		h = (h + 1) & (m->nslots - 1);
	}
	return NULL;
}

static struct thr *thr_new(struct model *m, const struct pp_event *e, uint64_t ts)
{
	struct thr *t;

	if ((m->n + 1) * 2 > m->nslots && grow_slots(m))
		return NULL;
	t = vec_grow(m->t, m->n, &m->cap, sizeof(*t), 16);
	if (!t)
		return NULL;
	m->t = t;
	t = &m->t[m->n++];
	memset(t, 0, sizeof(*t));
	t->tid = e->tid;
	t->tgid = e->tgid;
	t->start = t->seg_start = ts;
	pp_tstate_init(&t->st);
	memcpy(t->comm, e->comm, PP_COMM_LEN);
	slot_insert(m->slot, m->nslots, t->tid, m->n - 1);
	return t;
}

static struct thr *thr_get(struct model *m, const struct pp_event *e)
{
	struct thr *t = thr_lookup(m, e->tid);

	if (!t) {
		t = thr_new(m, e, e->ts);
		if (!t)
			m->oom = true;
	}
	return t;
}

/* Who owns a thread's time in state st: its innermost phase, the one that lingers, or nobody. */
static int owner_of(const struct pp_tstate *st, int *phase)
{
	*phase = pp_tstate_top(st);
	if (*phase >= 0)
		return OWN_EXPLICIT;
	*phase = st->linger;
	return *phase >= 0 ? OWN_LINGER : OWN_NONE;
}

/* Close the current segment at ts, owned as state st says (the thread's, or the one before). */
static void seg_close_as(struct model *m, struct thr *t, const struct pp_tstate *st, uint64_t ts)
{
	int phase, owner = owner_of(st, &phase);

	if (spans_add(&t->segs, t->seg_start, ts, phase, owner))
		m->oom = true;
	t->seg_start = ts;
}

static void seg_close(struct model *m, struct thr *t, uint64_t ts)
{
	seg_close_as(m, t, &t->st, ts);
}

static void cpu_on(struct thr *t, uint64_t ts)
{
	if (!t->oncpu) {
		t->oncpu = true;
		t->oncpu_since = ts;
	}
}

static void cpu_off(struct model *m, struct thr *t, uint64_t ts)
{
	if (t->oncpu && spans_add(&t->cpu, t->oncpu_since, ts, -1, 0))
		m->oom = true;
	t->oncpu = false;
}

/*
 * The rules change the state; the model closes the segment the old state
 * owned, first, when they did (a push past the depth limit still splits it,
 * as it always has: the time either side has the same owner).
 */
static void site_hit(struct model *m, struct thr *t, const struct pp_event *e)
{
	int phase = pp_cookie_phase(e->cookie), action = pp_cookie_action(e->cookie);
	struct pp_tstate before = t->st;

	switch (pp_rule_apply(&t->st, e->cookie)) {
	case PP_RULE_ENTER:
		t->entered[phase]++;
		/* fall through */
	case PP_RULE_LEAVE:
		break;
	case PP_RULE_OVERFLOW:
		if (action == PP_ACT_PUSH)
			break;
		return;
	case PP_RULE_UNMATCHED:
		m->unmatched++;
		return;
	default:
		return;
	}
	seg_close_as(m, t, &before, e->ts);
}

static void thr_end(struct model *m, struct thr *t, uint64_t ts)
{
	if (t->ended)
		return;
	seg_close(m, t, ts);
	cpu_off(m, t, ts);
	t->end = ts;
	t->ended = true;
}

static void replay_one(struct model *m, const struct pp_event *e)
{
	struct thr *t = thr_get(m, e);

	if (!t || t->ended)
		return;
	if (e->type != PP_EV_FORK && e->type != PP_EV_MILESTONE && e->comm[0])
		memcpy(t->comm, e->comm, PP_COMM_LEN);
	switch (e->type) {
	case PP_EV_EXEC:
		cpu_on(t, e->ts);
		break;
	case PP_EV_SITE:
		cpu_on(t, e->ts); /* it ran the probed instruction */
		site_hit(m, t, e);
		break;
	case PP_EV_MILESTONE:
		site_hit(m, t, e); /* another thread's system call: t may be off CPU */
		break;
	case PP_EV_ONCPU:
		cpu_on(t, e->ts);
		break;
	case PP_EV_OFFCPU:
		cpu_off(m, t, e->ts);
		break;
	case PP_EV_EXIT:
		thr_end(m, t, e->ts);
		break;
	}
}

/*
 * Stable sort by time: the ring buffer delivers events almost in order, and
 * events of one instant must keep their order (a switch-in before a probe hit).
 */
static int sort_events(struct pp_event *ev, size_t n)
{
	struct pp_event *tmp = malloc((n ? n : 1) * sizeof(*tmp));

	if (!tmp)
		return -ENOMEM;
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				tmp[k++] = ev[j].ts < ev[i].ts ? ev[j++] : ev[i++];
			while (i < mid)
				tmp[k++] = ev[i++];
			while (j < hi)
				tmp[k++] = ev[j++];
		}
		memcpy(ev, tmp, n * sizeof(*ev));
	}
	free(tmp);
	return 0;
}

/* Where the run starts and ends: the root's first exec, its group's death. */
static void find_run_bounds(const struct pp_event *ev, size_t n, uint32_t root,
			    struct run_stats *st)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ev[i].type == PP_EV_EXEC && ev[i].tgid == root)
			break;
	if (i == n)
		return;
	st->started = true;
	st->start_ts = st->end_ts = ev[i].ts;
	for (; i < n; i++) {
		if (ev[i].tgid == root)
			st->end_ts = ev[i].ts;
		if (ev[i].type == PP_EV_EXIT && ev[i].tgid == root && ev[i].arg2)
			break;
	}
}

static void replay(struct model *m, const struct pp_event *ev, size_t n, const struct run_stats *st)
{
	for (size_t i = 0; i < n && !m->oom; i++) {
		const struct pp_event *e = &ev[i];

		if (e->ts < st->start_ts || e->ts > st->end_ts)
			continue;
		if (e->type == PP_EV_FORK) {
			if (!thr_lookup(m, e->tid) && !thr_new(m, e, e->ts))
				m->oom = true;
			continue;
		}
		replay_one(m, e);
	}
	for (size_t i = 0; i < m->n; i++)
		thr_end(m, &m->t[i], st->end_ts);
}

/* Main thread: leading unowned time is startup, trailing lingering time teardown. */
static int resolve_main(struct thr *t)
{
	size_t last_explicit = t->segs.n;

	for (size_t i = 0; i < t->segs.n; i++)
		if (t->segs.v[i].owner == OWN_EXPLICIT)
			last_explicit = i;
	for (size_t i = 0; i < t->segs.n; i++) {
		struct span s = t->segs.v[i];

		if (s.owner == OWN_NONE)
			s.phase = PP_PHASE_STARTUP;
		else if (s.owner == OWN_LINGER && (last_explicit == t->segs.n || i > last_explicit))
			s.phase = PP_PHASE_TEARDOWN;
		if (spans_add(&t->resolved, s.t0, s.t1, s.phase, s.owner))
			return -ENOMEM;
	}
	return 0;
}

/*
 * Split [t0, t1) along the main thread's timeline. Past its end is teardown,
 * or still startup when the main thread never opened a phase: a run that
 * failed before its first phase has no teardown.
 */
static int inherit(struct spans *out, const struct spans *main_tl, uint64_t t0, uint64_t t1)
{
	int tail = main_tl->n && main_tl->v[main_tl->n - 1].phase != PP_PHASE_STARTUP ?
			   PP_PHASE_TEARDOWN :
			   PP_PHASE_STARTUP;

	for (size_t i = 0; i < main_tl->n && t0 < t1; i++) {
		const struct span *s = &main_tl->v[i];
		uint64_t a = t0 > s->t0 ? t0 : s->t0, b = t1 < s->t1 ? t1 : s->t1;

		if (b <= a)
			continue;
		if (a > t0 && spans_add(out, t0, a, PP_PHASE_STARTUP, OWN_NONE))
			return -ENOMEM;
		if (spans_add(out, a, b, s->phase, OWN_NONE))
			return -ENOMEM;
		t0 = b;
	}
	return spans_add(out, t0, t1, tail, OWN_NONE);
}

static int resolve_other(struct thr *t, const struct spans *main_tl)
{
	for (size_t i = 0; i < t->segs.n; i++) {
		const struct span *s = &t->segs.v[i];
		int err = s->owner == OWN_EXPLICIT ?
				  spans_add(&t->resolved, s->t0, s->t1, s->phase, s->owner) :
				  inherit(&t->resolved, main_tl, s->t0, s->t1);

		if (err)
			return err;
	}
	return 0;
}

/* Per phase of one thread: time, and on-CPU time (both lists are sorted). */
static void thread_totals(const struct thr *t, uint64_t ns[PP_PHASE_COUNT],
			  uint64_t cpu[PP_PHASE_COUNT])
{
	size_t j = 0;

	for (size_t i = 0; i < t->resolved.n; i++) {
		const struct span *s = &t->resolved.v[i];

		ns[s->phase] += s->t1 - s->t0;
		while (j < t->cpu.n && t->cpu.v[j].t1 <= s->t0)
			j++;
		for (size_t k = j; k < t->cpu.n && t->cpu.v[k].t0 < s->t1; k++) {
			uint64_t a = t->cpu.v[k].t0 > s->t0 ? t->cpu.v[k].t0 : s->t0;
			uint64_t b = t->cpu.v[k].t1 < s->t1 ? t->cpu.v[k].t1 : s->t1;

			if (b > a)
				cpu[s->phase] += b - a;
		}
	}
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	return 0;
}

/* Union of every thread's spans of one phase. */
static int phase_wall(const struct model *m, int phase, uint64_t *wall)
{
	struct spans all = { 0 };
	uint64_t end = 0;

	for (size_t i = 0; i < m->n; i++)
		for (size_t k = 0; k < m->t[i].resolved.n; k++) {
			const struct span *s = &m->t[i].resolved.v[k];

			if (s->phase == phase && spans_add(&all, s->t0, s->t1, phase, 0)) {
				free(all.v);
				return -ENOMEM;
			}
		}
	if (all.n)
		qsort(all.v, all.n, sizeof(*all.v), cmp_span);
	*wall = 0;
	for (size_t i = 0; i < all.n; i++) {
		uint64_t a = all.v[i].t0 > end ? all.v[i].t0 : end;

		if (all.v[i].t1 > a)
			*wall += all.v[i].t1 - a;
		if (all.v[i].t1 > end)
			end = all.v[i].t1;
	}
	free(all.v);
	return 0;
}

static bool continues(const struct phase_interval *iv, const struct span *s, uint64_t start)
{
	return iv->phase == s->phase && iv->end_ns == s->t0 - start;
}

/* The thread's resolved spans as a timeline; past the cap, intervals are only counted. */
static int thread_timeline(struct thread_stats *ts, const struct thr *t, uint64_t start)
{
	size_t cap = t->resolved.n < PHASES_MAX_INTERVALS ? t->resolved.n : PHASES_MAX_INTERVALS;
	struct phase_interval over = { .phase = -1 };

	ts->iv = calloc(cap ? cap : 1, sizeof(*ts->iv));
	if (!ts->iv)
		return -ENOMEM;
	for (size_t i = 0; i < t->resolved.n; i++) {
		const struct span *s = &t->resolved.v[i];
		struct phase_interval *last = ts->iv_dropped ? &over :
					      ts->niv	     ? &ts->iv[ts->niv - 1] :
								NULL;
		struct phase_interval cur = { s->t0 - start, s->t1 - start, s->phase };

		if (last && continues(last, s, start)) {
			last->end_ns = cur.end_ns;
		} else if (ts->niv < cap) {
			ts->iv[ts->niv++] = cur;
		} else {
			over = cur;
			ts->iv_dropped++;
		}
	}
	return 0;
}

static int fill_thread(struct thread_stats *ts, const struct thr *t, uint64_t start)
{
	ts->tid = t->tid;
	ts->tgid = t->tgid;
	memcpy(ts->comm, t->comm, PP_COMM_LEN);
	ts->comm[PP_COMM_LEN - 1] = '\0';
	ts->start_ns = t->start - start;
	ts->end_ns = t->end - start;
	thread_totals(t, ts->phase_ns, ts->phase_cpu_ns);
	for (int p = 0; p < PP_PHASE_COUNT; p++)
		ts->cpu_ns += ts->phase_cpu_ns[p];
	return thread_timeline(ts, t, start);
}

static int summarize(struct model *m, struct run_stats *st)
{
	struct thr *main_thr = thr_lookup(m, m->root);

	st->threads = calloc(m->n ? m->n : 1, sizeof(*st->threads));
	if (!st->threads)
		return -ENOMEM;
	st->nthreads = m->n;
	for (size_t i = 0; i < m->n; i++) {
		struct thread_stats *ts = &st->threads[i];
		const struct thr *t = &m->t[i];
		bool is_main = t == main_thr;

		if (fill_thread(ts, t, st->start_ts))
			return -ENOMEM;
		if (t->tid == t->tgid)
			st->processes++;
		st->cpu_ns += ts->cpu_ns;
		for (int p = 0; p < PP_PHASE_COUNT; p++) {
			struct phase_stats *ps = &st->phase[p];

			ps->cpu_ns += ts->phase_cpu_ns[p];
			ps->intervals += t->entered[p];
			if (is_main)
				ps->main_ns = ts->phase_ns[p];
			if (t->entered[p] || ts->phase_cpu_ns[p] || (is_main && ts->phase_ns[p]))
				ps->threads++;
		}
	}
	st->phase[PP_PHASE_STARTUP].intervals += main_thr && st->phase[PP_PHASE_STARTUP].main_ns;
	st->phase[PP_PHASE_TEARDOWN].intervals += main_thr && st->phase[PP_PHASE_TEARDOWN].main_ns &&
						  !main_thr->entered[PP_PHASE_TEARDOWN];
	for (int p = 0; p < PP_PHASE_COUNT; p++)
		if (phase_wall(m, p, &st->phase[p].wall_ns))
			return -ENOMEM;
	/* startup and teardown are one interval if they took any time, on any thread:
	 * time never shows with zero intervals */
	if (!st->phase[PP_PHASE_STARTUP].intervals && st->phase[PP_PHASE_STARTUP].wall_ns)
		st->phase[PP_PHASE_STARTUP].intervals = 1;
	if (!st->phase[PP_PHASE_TEARDOWN].intervals && st->phase[PP_PHASE_TEARDOWN].wall_ns)
		st->phase[PP_PHASE_TEARDOWN].intervals = 1;
	return 0;
}

static int resolve_all(struct model *m)
{
	struct thr *main_thr = thr_lookup(m, m->root);
	struct spans none = { 0 };

	if (main_thr && resolve_main(main_thr))
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++)
		if (&m->t[i] != main_thr &&
		    resolve_other(&m->t[i], main_thr ? &main_thr->resolved : &none))
			return -ENOMEM;
	return 0;
}

static void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->t[i].segs.v);
		free(m->t[i].cpu.v);
		free(m->t[i].resolved.v);
	}
	free(m->t);
	free(m->slot);
}

int phases__compute(struct pp_event *ev, size_t n, uint32_t root, struct run_stats *st)
{
	struct model m = { .root = root };
	int err = 0;

	memset(st, 0, sizeof(*st));
	if (sort_events(ev, n))
		return -ENOMEM;
	find_run_bounds(ev, n, root, st);
	if (!st->started)
		return 0;
	st->wall_ns = st->end_ts - st->start_ts;
	replay(&m, ev, n, st);
	if (m.oom || resolve_all(&m) || summarize(&m, st))
		err = -ENOMEM;
	st->unmatched_pops = m.unmatched;
	model_free(&m);
	return err;
}

void phases__free(struct run_stats *st)
{
	for (size_t i = 0; i < st->nthreads; i++)
		free(st->threads[i].iv);
	free(st->threads);
	st->threads = NULL;
	st->nthreads = 0;
}
