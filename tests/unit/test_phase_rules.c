// SPDX-License-Identifier: MIT
/*
 * test_phase_rules.c: the kernel half and the user half agree on phases. The
 * same event streams (made up by hand, and at random) go through the
 * user-space model (phases__compute) and through the rules of
 * bpf/phase_rules.h exactly as the BPF program applies them: per-thread state
 * changed at each probe hit, and a sample at every instant tagged with
 * pp_sample_phase() and resolved with pp_sample_resolve(). Each thread's time
 * per phase must come out the same, to the nanosecond.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "phases.h"
#include "phase_rules.h"

#define ROOT 100
#define MAX_THREADS 8
#define MAX_EVENTS 512

static struct pp_event evs[MAX_EVENTS];
static size_t nev;
static uint64_t now;

static void ev(int type, uint32_t tid, uint64_t cookie, uint32_t arg2)
{
	struct pp_event *e = &evs[nev++];

	memset(e, 0, sizeof(*e));
	now += 1000 + (now % 7) * 333; /* strictly increasing, uneven steps */
	e->ts = now;
	e->type = type;
	e->tgid = ROOT;
	e->tid = tid;
	e->cookie = cookie;
	e->arg2 = arg2;
	strcpy(e->comm, "t");
}

static void site(uint32_t tid, int phase, int action)
{
	ev(PP_EV_SITE, tid, pp_cookie(0, phase, action, action == PP_ACT_POP), 0);
}

/* What the kernel half would tag: per thread, nanoseconds per resolved phase. */
struct sampled {
	uint32_t tid[MAX_THREADS];
	bool alive[MAX_THREADS], has_state[MAX_THREADS];
	struct pp_tstate st[MAX_THREADS];
	size_t n;
	bool root_exited;
	/* every stretch between two events, tagged, resolved at the end */
	struct {
		size_t thr;
		struct pp_sample_key key;
		uint64_t ns;
	} stretch[MAX_EVENTS * MAX_THREADS];
	size_t nstretch;
};

static size_t thread_of(struct sampled *s, uint32_t tid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->tid[i] == tid)
			return i;
	s->tid[s->n] = tid;
	s->alive[s->n] = true;
	s->has_state[s->n] = false;
	return s->n++;
}

/* The kernel half's state map: a thread has a state from its first probe hit. */
static struct pp_tstate *state(struct sampled *s, size_t i)
{
	if (!s->has_state[i]) {
		pp_tstate_init(&s->st[i]);
		s->has_state[i] = true;
	}
	return &s->st[i];
}

/* Every live thread, sampled over [t0, t1): the tag on_sample() would give. */
static void sample_all(struct sampled *s, uint64_t t0, uint64_t t1)
{
	size_t root = thread_of(s, ROOT);

	for (size_t i = 0; i < s->n && t1 > t0; i++) {
		struct pp_sample_key key = { 0 };

		if (!s->alive[i])
			continue;
		pp_sample_phase(s->has_state[i] ? &s->st[i] : NULL,
				s->has_state[root] ? &s->st[root] : NULL, i == root, s->root_exited,
				&key);
		s->stretch[s->nstretch].thr = i;
		s->stretch[s->nstretch].key = key;
		s->stretch[s->nstretch++].ns = t1 - t0;
	}
}

static void apply(struct sampled *s, const struct pp_event *e)
{
	size_t i = thread_of(s, e->tid);

	switch (e->type) {
	case PP_EV_SITE:
	case PP_EV_MILESTONE:
		pp_rule_apply(state(s, i), e->cookie);
		break;
	case PP_EV_EXIT:
		s->alive[i] = false;
		if (e->tid == ROOT)
			s->root_exited = true;
		break;
	}
}

/* Run the stream both ways and compare every thread's time per phase. */
static void agree(const char *what)
{
	static struct sampled s;
	struct run_stats st;
	uint64_t ns[MAX_THREADS][PP_PHASE_COUNT] = { { 0 } };
	uint32_t final_seq;
	int failed = checks_failed;

	memset(&s, 0, sizeof(s));
	for (size_t k = 0; k < nev; k++) {
		if (k)
			sample_all(&s, evs[k - 1].ts, evs[k].ts);
		apply(&s, &evs[k]);
	}
	final_seq = s.has_state[thread_of(&s, ROOT)] ? s.st[thread_of(&s, ROOT)].seq : 0;
	for (size_t k = 0; k < s.nstretch; k++)
		ns[s.stretch[k].thr][pp_sample_resolve(&s.stretch[k].key, final_seq)] +=
		    s.stretch[k].ns;
	CHECK_INT(phases__compute(evs, nev, ROOT, &st), 0);
	CHECK_INT(st.nthreads, s.n);
	for (size_t t = 0; t < st.nthreads; t++)
		for (int p = 0; p < PP_PHASE_COUNT; p++)
			CHECK_INT(st.threads[t].phase_ns[p],
				  ns[thread_of(&s, st.threads[t].tid)][p]);
	if (checks_failed != failed)
		fprintf(stderr, "  in stream: %s\n", what);
	phases__free(&st);
	nev = 0;
}

static void test_brackets_marks_and_linger(void)
{
	ev(PP_EV_EXEC, ROOT, 0, 0);
	site(ROOT, PP_PHASE_LOAD, PP_ACT_PUSH);
	site(ROOT, PP_PHASE_LOAD, PP_ACT_POP);
	ev(PP_EV_FORK, ROOT + 1, 0, 0);
	site(ROOT + 1, PP_PHASE_COMPILE, PP_ACT_PUSH);
	site(ROOT, PP_PHASE_EXECUTE, PP_ACT_MARK);
	site(ROOT + 1, PP_PHASE_COMPILE, PP_ACT_POP);
	site(ROOT, PP_PHASE_INSTANTIATE, PP_ACT_MARK);
	site(ROOT, PP_PHASE_COMPILE, PP_ACT_PUSH);
	site(ROOT, PP_PHASE_COMPILE, PP_ACT_POP);
	site(ROOT, PP_PHASE_INSTANTIATE, PP_ACT_POP); /* a mark is not closed: unmatched */
	ev(PP_EV_EXIT, ROOT + 1, 0, 0);
	ev(PP_EV_EXIT, ROOT, 0, 1);
	agree("brackets, marks and lingering");
}

/* The main thread leaves first: the others' time after it is teardown. */
static void test_main_exits_first(void)
{
	ev(PP_EV_EXEC, ROOT, 0, 0);
	ev(PP_EV_FORK, ROOT + 1, 0, 0);
	site(ROOT, PP_PHASE_EXECUTE, PP_ACT_PUSH);
	site(ROOT, PP_PHASE_EXECUTE, PP_ACT_POP);
	ev(PP_EV_EXIT, ROOT, 0, 0);
	site(ROOT + 1, PP_PHASE_LOAD, PP_ACT_POP);
	ev(PP_EV_EXIT, ROOT + 1, 0, 1);
	agree("main thread exits first");
}

/* The main thread leaves before its first phase: no teardown for the others. */
static void test_main_exits_in_startup(void)
{
	ev(PP_EV_EXEC, ROOT, 0, 0);
	ev(PP_EV_FORK, ROOT + 1, 0, 0);
	ev(PP_EV_EXIT, ROOT, 0, 0);
	site(ROOT + 1, PP_PHASE_LOAD, PP_ACT_PUSH);
	site(ROOT + 1, PP_PHASE_LOAD, PP_ACT_POP);
	ev(PP_EV_EXIT, ROOT + 1, 0, 1);
	agree("main thread exits in startup");
}

/* Deeper than PP_MAX_DEPTH: the extra pushes are counted and popped first. */
static void test_overflow(void)
{
	ev(PP_EV_EXEC, ROOT, 0, 0);
	for (int i = 0; i < PP_MAX_DEPTH + 4; i++)
		site(ROOT, i % 2 ? PP_PHASE_COMPILE : PP_PHASE_EXECUTE, PP_ACT_PUSH);
	for (int i = 0; i < PP_MAX_DEPTH + 6; i++)
		site(ROOT, i % 3 ? PP_PHASE_COMPILE : PP_PHASE_EXECUTE, PP_ACT_POP);
	ev(PP_EV_EXIT, ROOT, 0, 1);
	agree("overflow");
}

static unsigned rnd(unsigned *seed, unsigned n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % n;
}

/* One random step on a live thread: a probe hit, a milestone, a fork or an exit. */
static void random_step(unsigned *seed, uint32_t *live, size_t *nlive, uint32_t *next_tid)
{
	static const int actions[] = { PP_ACT_PUSH, PP_ACT_POP, PP_ACT_MARK };
	unsigned r = rnd(seed, 20);
	size_t i = rnd(seed, *nlive);

	if (r == 0 && *next_tid < ROOT + MAX_THREADS) {
		live[(*nlive)++] = *next_tid;
		ev(PP_EV_FORK, (*next_tid)++, 0, 0);
	} else if (r == 1 && *nlive > 1 && live[i] != ROOT) {
		ev(PP_EV_EXIT, live[i], 0, 0);
		live[i] = live[--*nlive];
	} else if (r == 2) {
		ev(PP_EV_MILESTONE, ROOT, pp_cookie(0, 1 + rnd(seed, 5), PP_ACT_MARK, 0), 0);
	} else {
		site(live[i], rnd(seed, PP_PHASE_COUNT), actions[rnd(seed, 3)]);
	}
}

static void test_random_streams(void)
{
	char what[64];

	for (unsigned k = 0; k < 2000; k++) {
		uint32_t live[MAX_THREADS] = { ROOT }, next_tid = ROOT + 1;
		size_t nlive = 1, len;
		unsigned seed = k;

		ev(PP_EV_EXEC, ROOT, 0, 0);
		len = 10 + rnd(&seed, 200);
		while (nev < len)
			random_step(&seed, live, &nlive, &next_tid);
		/* sometimes the main thread goes first and a worker ends the group */
		if (nlive > 1 && rnd(&seed, 2)) {
			ev(PP_EV_EXIT, ROOT, 0, 0);
			ev(PP_EV_EXIT, live[nlive - 1] == ROOT ? live[0] : live[nlive - 1], 0, 1);
		} else {
			ev(PP_EV_EXIT, ROOT, 0, 1);
		}
		snprintf(what, sizeof(what), "random stream %u", k);
		agree(what);
	}
}

int main(void)
{
	test_brackets_marks_and_linger();
	test_main_exits_first();
	test_main_exits_in_startup();
	test_overflow();
	test_random_streams();
	return checks_report("test_phase_rules");
}
