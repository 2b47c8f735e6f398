// SPDX-License-Identifier: MIT
/* test_phases.c: the phase model on made-up event streams (times in ms). */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "phases.h"
#include "fallback.h"

#define MS 1000000ULL
#define ROOT 100

static struct pp_event evs[2048];
static size_t nev;

static void ev(uint64_t ms, int type, uint32_t tgid, uint32_t tid, uint64_t cookie, uint32_t arg2)
{
	struct pp_event *e = &evs[nev++];

	memset(e, 0, sizeof(*e));
	e->ts = 1000 * MS + ms * MS; /* runs never start at 0 */
	e->type = type;
	e->tgid = tgid;
	e->tid = tid;
	e->cookie = cookie;
	e->arg2 = arg2;
	strcpy(e->comm, "t");
}

static void site(uint64_t ms, uint32_t tid, int phase, int action)
{
	ev(ms, PP_EV_SITE, ROOT, tid, pp_cookie(0, phase, action, action == PP_ACT_POP), 0);
}

static void compute(struct run_stats *st)
{
	CHECK_INT(phases__compute(evs, nev, ROOT, st), 0);
	nev = 0;
}

static void test_sequence_on_main_thread(void)
{
	struct run_stats st;

	ev(0, PP_EV_EXEC, ROOT, ROOT, 0, 0);
	site(10, ROOT, PP_PHASE_LOAD, PP_ACT_PUSH);
	site(60, ROOT, PP_PHASE_LOAD, PP_ACT_POP);
	site(60, ROOT, PP_PHASE_COMPILE, PP_ACT_PUSH);
	site(160, ROOT, PP_PHASE_COMPILE, PP_ACT_POP);
	site(170, ROOT, PP_PHASE_EXECUTE, PP_ACT_MARK);
	ev(400, PP_EV_EXIT, ROOT, ROOT, 0, 1);
	compute(&st);
	CHECK(st.started);
	CHECK_INT(st.wall_ns, 400 * MS);
	CHECK_INT(st.phase[PP_PHASE_STARTUP].wall_ns, 10 * MS);
	CHECK_INT(st.phase[PP_PHASE_LOAD].wall_ns, 50 * MS);
	/* the gap after compile closed stays with compile */
	CHECK_INT(st.phase[PP_PHASE_COMPILE].wall_ns, 110 * MS);
	/* a mark lasts until exit */
	CHECK_INT(st.phase[PP_PHASE_EXECUTE].wall_ns, 230 * MS);
	CHECK_INT(st.phase[PP_PHASE_TEARDOWN].wall_ns, 0);
	CHECK_INT(st.phase[PP_PHASE_LOAD].intervals, 1);
	CHECK_INT(st.phase[PP_PHASE_STARTUP].intervals, 1);
	/* exec puts the main thread on a CPU, and nothing took it off */
	CHECK_INT(st.cpu_ns, 400 * MS);
	CHECK_INT(st.phase[PP_PHASE_LOAD].cpu_ns, 50 * MS);
	phases__free(&st);
}

static void test_teardown_and_nesting(void)
{
	struct run_stats st;
	uint64_t sum = 0;

	ev(0, PP_EV_EXEC, ROOT, ROOT, 0, 0);
	site(20, ROOT, PP_PHASE_EXECUTE, PP_ACT_PUSH);
	site(50, ROOT, PP_PHASE_COMPILE, PP_ACT_PUSH); /* lazy compile inside execute */
	ev(55, PP_EV_OFFCPU, ROOT, ROOT, 0, 0);
	ev(65, PP_EV_ONCPU, ROOT, ROOT, 0, 0);
	site(70, ROOT, PP_PHASE_COMPILE, PP_ACT_POP);
	site(300, ROOT, PP_PHASE_EXECUTE, PP_ACT_POP);
	site(310, ROOT, PP_PHASE_LOAD, PP_ACT_POP); /* nothing open: unmatched */
	ev(350, PP_EV_EXIT, ROOT, ROOT, 0, 1);
	compute(&st);
	CHECK_INT(st.phase[PP_PHASE_STARTUP].wall_ns, 20 * MS);
	CHECK_INT(st.phase[PP_PHASE_COMPILE].wall_ns, 20 * MS);
	CHECK_INT(st.phase[PP_PHASE_COMPILE].cpu_ns, 10 * MS);
	CHECK_INT(st.phase[PP_PHASE_EXECUTE].wall_ns, 260 * MS);
	CHECK_INT(st.phase[PP_PHASE_TEARDOWN].wall_ns, 50 * MS);
	CHECK_INT(st.phase[PP_PHASE_TEARDOWN].intervals, 1);
	CHECK_INT(st.unmatched_pops, 1);
	for (int p = 0; p < PP_PHASE_COUNT; p++)
		sum += st.phase[p].main_ns;
	CHECK_INT(sum, st.wall_ns);
	phases__free(&st);
}

static void test_worker_threads(void)
{
	struct run_stats st;

	ev(0, PP_EV_EXEC, ROOT, ROOT, 0, 0);
	site(10, ROOT, PP_PHASE_COMPILE, PP_ACT_PUSH);
	ev(11, PP_EV_FORK, ROOT, 101, 0, 0);
	ev(11, PP_EV_FORK, ROOT, 102, 0, 0);
	ev(12, PP_EV_ONCPU, ROOT, 101, 0, 0);
	ev(12, PP_EV_ONCPU, ROOT, 102, 0, 0);
	site(12, 101, PP_PHASE_COMPILE, PP_ACT_PUSH);
	site(12, 102, PP_PHASE_COMPILE, PP_ACT_PUSH);
	ev(12, PP_EV_OFFCPU, ROOT, ROOT, 0, 0); /* main waits in join */
	site(112, 101, PP_PHASE_COMPILE, PP_ACT_POP);
	site(112, 102, PP_PHASE_COMPILE, PP_ACT_POP);
	ev(113, PP_EV_EXIT, ROOT, 101, 0, 0);
	ev(113, PP_EV_EXIT, ROOT, 102, 0, 0);
	ev(113, PP_EV_ONCPU, ROOT, ROOT, 0, 0);
	site(113, ROOT, PP_PHASE_COMPILE, PP_ACT_POP);
	site(113, ROOT, PP_PHASE_EXECUTE, PP_ACT_PUSH);
	/* a helper thread that never enters a phase inherits the main thread's */
	ev(120, PP_EV_FORK, ROOT, 103, 0, 0);
	ev(120, PP_EV_ONCPU, ROOT, 103, 0, 0);
	ev(150, PP_EV_OFFCPU, ROOT, 103, 0, 0);
	site(200, ROOT, PP_PHASE_EXECUTE, PP_ACT_POP);
	ev(210, PP_EV_EXIT, ROOT, ROOT, 0, 0);
	ev(211, PP_EV_EXIT, ROOT, 103, 0, 1);
	compute(&st);
	CHECK_INT(st.nthreads, 4);
	CHECK_INT(st.phase[PP_PHASE_COMPILE].wall_ns, 103 * MS);
	CHECK_INT(st.phase[PP_PHASE_COMPILE].cpu_ns, 204 * MS);
	CHECK_INT(st.phase[PP_PHASE_COMPILE].threads, 3);
	CHECK_INT(st.phase[PP_PHASE_COMPILE].intervals, 3);
	CHECK_INT(st.phase[PP_PHASE_EXECUTE].cpu_ns, 87 * MS + 30 * MS);
	CHECK_INT(st.phase[PP_PHASE_EXECUTE].threads, 2);
	/* main exits at 210, the last thread at 211: that millisecond is teardown */
	CHECK_INT(st.wall_ns, 211 * MS);
	CHECK_INT(st.phase[PP_PHASE_TEARDOWN].wall_ns, 11 * MS);
	phases__free(&st);
}

static void test_marks_replace_and_scope(void)
{
	struct run_stats st;

	ev(0, PP_EV_EXEC, ROOT, ROOT, 0, 0);
	site(10, ROOT, PP_PHASE_LOAD, PP_ACT_MARK);
	site(20, ROOT, PP_PHASE_INSTANTIATE, PP_ACT_PUSH);
	site(25, ROOT, PP_PHASE_EXECUTE, PP_ACT_MARK); /* start function inside instantiate */
	site(30, ROOT, PP_PHASE_INSTANTIATE, PP_ACT_POP); /* closes the execute mark too */
	site(40, ROOT, PP_PHASE_EXECUTE, PP_ACT_MARK);
	site(45, ROOT, PP_PHASE_EXECUTE, PP_ACT_MARK); /* same phase again: no new interval */
	site(90, ROOT, PP_PHASE_TEARDOWN, PP_ACT_MARK);
	ev(100, PP_EV_EXIT, ROOT, ROOT, 0, 1);
	compute(&st);
	CHECK_INT(st.phase[PP_PHASE_LOAD].wall_ns, 20 * MS);
	CHECK_INT(st.phase[PP_PHASE_INSTANTIATE].wall_ns, 5 * MS);
	CHECK_INT(st.phase[PP_PHASE_EXECUTE].wall_ns, 55 * MS);
	CHECK_INT(st.phase[PP_PHASE_EXECUTE].intervals, 2);
	CHECK_INT(st.phase[PP_PHASE_TEARDOWN].wall_ns, 10 * MS);
	CHECK_INT(st.phase[PP_PHASE_TEARDOWN].intervals, 1);
	phases__free(&st);
}

static void test_events_out_of_order_and_no_exec(void)
{
	struct run_stats st;

	ev(5, PP_EV_EXIT, ROOT, ROOT, 0, 1);
	ev(0, PP_EV_EXEC, ROOT, ROOT, 0, 0);
	compute(&st);
	CHECK(st.started);
	CHECK_INT(st.wall_ns, 5 * MS);
	CHECK_INT(st.phase[PP_PHASE_STARTUP].wall_ns, 5 * MS);
	phases__free(&st);

	ev(5, PP_EV_EXIT, ROOT, ROOT, 0, 1);
	compute(&st);
	CHECK(!st.started);
	phases__free(&st);
}

/* Each thread's timeline: in order, joined where one phase continues, and capped. */
static void test_timeline(void)
{
	struct run_stats st;
	const struct thread_stats *t;
	uint64_t per_phase[PP_PHASE_COUNT] = { 0 };

	ev(0, PP_EV_EXEC, ROOT, ROOT, 0, 0);
	site(10, ROOT, PP_PHASE_LOAD, PP_ACT_PUSH);
	site(20, ROOT, PP_PHASE_LOAD, PP_ACT_POP);
	site(30, ROOT, PP_PHASE_EXECUTE, PP_ACT_MARK);
	ev(35, PP_EV_FORK, ROOT, ROOT + 1, 0, 0);
	site(40, ROOT + 1, PP_PHASE_COMPILE, PP_ACT_PUSH);
	site(45, ROOT + 1, PP_PHASE_COMPILE, PP_ACT_POP);
	ev(50, PP_EV_EXIT, ROOT, ROOT + 1, 0, 0);
	ev(60, PP_EV_EXIT, ROOT, ROOT, 0, 1);
	compute(&st);
	CHECK_INT(st.nthreads, 2);
	t = &st.threads[0];
	/* startup 0-10, load 10-30 (lingering after its close), execute 30-60 */
	CHECK_INT(t->niv, 3);
	CHECK_INT(t->iv_dropped, 0);
	CHECK_INT(t->iv[0].phase, PP_PHASE_STARTUP);
	CHECK_INT(t->iv[1].phase, PP_PHASE_LOAD);
	CHECK_INT(t->iv[1].start_ns, 10 * MS);
	CHECK_INT(t->iv[1].end_ns, 30 * MS);
	CHECK_INT(t->iv[2].phase, PP_PHASE_EXECUTE);
	CHECK_INT(t->iv[2].end_ns, 60 * MS);
	/* the worker: its own compile 40-45, the main thread's execute around it */
	t = &st.threads[1];
	CHECK_INT(t->niv, 3);
	CHECK_INT(t->iv[0].phase, PP_PHASE_EXECUTE);
	CHECK_INT(t->iv[0].start_ns, 35 * MS);
	CHECK_INT(t->iv[1].phase, PP_PHASE_COMPILE);
	CHECK_INT(t->iv[1].end_ns, 45 * MS);
	CHECK_INT(t->iv[2].phase, PP_PHASE_EXECUTE);
	CHECK_INT(t->iv[2].end_ns, 50 * MS);
	for (size_t k = 0; k < st.nthreads; k++)
		for (size_t i = 0; i < st.threads[k].niv; i++)
			per_phase[st.threads[k].iv[i].phase] +=
				st.threads[k].iv[i].end_ns - st.threads[k].iv[i].start_ns;
	CHECK_INT(per_phase[PP_PHASE_EXECUTE],
		  st.threads[0].phase_ns[PP_PHASE_EXECUTE] + st.threads[1].phase_ns[PP_PHASE_EXECUTE]);
	phases__free(&st);

	/* 1500 alternating marks: the first intervals are kept, the rest counted */
	ev(0, PP_EV_EXEC, ROOT, ROOT, 0, 0);
	for (int i = 0; i < 1500; i++)
		site(1 + i, ROOT, i % 2 ? PP_PHASE_LOAD : PP_PHASE_COMPILE, PP_ACT_MARK);
	ev(2000, PP_EV_EXIT, ROOT, ROOT, 0, 1);
	compute(&st);
	t = &st.threads[0];
	CHECK_INT(t->niv, PHASES_MAX_INTERVALS);
	CHECK_INT(t->niv + t->iv_dropped, 1501); /* with startup */
	CHECK_INT(t->iv[1].start_ns, 1 * MS);
	CHECK_INT(t->iv[1].end_ns, 2 * MS);
	phases__free(&st);
}

/* The fallback's milestone as the kernel half emits it: a process-wide mark. */
static void milestone(uint64_t ms, int phase)
{
	ev(ms, PP_EV_MILESTONE, ROOT, ROOT, pp_cookie(0, phase, PP_ACT_MARK, false), 0);
}

/*
 * A module kept open until exit (read, or mapped, then closed at the end):
 * load is the module-read span, the rest unknown, never load.
 */
static void test_fallback_module_kept_open(void)
{
	struct run_stats st;

	for (int mapped = 0; mapped < 2; mapped++) {
		ev(0, PP_EV_EXEC, ROOT, ROOT, 0, 0);
		ev(10, PP_EV_MODULE_OPEN, ROOT, ROOT, 0, 0);
		milestone(10, PP_PHASE_LOAD);
		ev(12, PP_EV_MODULE_READ, ROOT, ROOT, 0, mapped);
		ev(15, PP_EV_MODULE_READ, ROOT, ROOT, 0, 0);
		ev(300, PP_EV_MODULE_CLOSE, ROOT, ROOT, 0, 0);
		milestone(300, PP_PHASE_UNKNOWN);
		ev(310, PP_EV_EXIT, ROOT, ROOT, 0, 1);
		nev = fallback__milestones(evs, nev, ROOT, true);
		compute(&st);
		CHECK_INT(st.phase[PP_PHASE_STARTUP].wall_ns, 10 * MS);
		CHECK_INT(st.phase[PP_PHASE_LOAD].wall_ns, 5 * MS);
		CHECK_INT(st.phase[PP_PHASE_UNKNOWN].wall_ns, 295 * MS);
		phases__free(&st);
	}
	/* opened, never read: nothing to end load with; the close does */
	ev(0, PP_EV_EXEC, ROOT, ROOT, 0, 0);
	ev(10, PP_EV_MODULE_OPEN, ROOT, ROOT, 0, 0);
	milestone(10, PP_PHASE_LOAD);
	ev(20, PP_EV_MODULE_CLOSE, ROOT, ROOT, 0, 0);
	milestone(20, PP_PHASE_UNKNOWN);
	ev(30, PP_EV_EXIT, ROOT, ROOT, 0, 1);
	nev = fallback__milestones(evs, nev, ROOT, true);
	compute(&st);
	CHECK_INT(st.phase[PP_PHASE_LOAD].wall_ns, 10 * MS);
	CHECK_INT(st.phase[PP_PHASE_UNKNOWN].wall_ns, 10 * MS);
	phases__free(&st);
}

int main(void)
{
	test_sequence_on_main_thread();
	test_teardown_and_nesting();
	test_worker_threads();
	test_marks_replace_and_scope();
	test_events_out_of_order_and_no_exec();
	test_timeline();
	test_fallback_module_kept_open();
	return checks_report("phases");
}
