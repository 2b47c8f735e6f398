// SPDX-License-Identifier: MIT
/* offcpu.c: blocked time per phase, stack and waker, see offcpu.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "offcpu.h"
#include "profile.h"
#include "vec.h"

/* as stacks.c decides a sample's phase: the main thread's last lingering stretch is teardown */
static int wait_phase(int phase, int flags, uint32_t seq, uint32_t final_seq)
{
	if (phase >= PP_PHASE_COUNT)
		return PP_PHASE_STARTUP;
	if ((flags & PP_SAMPLE_LINGER) && seq == final_seq)
		return PP_PHASE_TEARDOWN;
	return phase;
}

static int cmp_key(const void *a, const void *b)
{
	const struct offcpu_wait *x = a, *y = b;

	if (x->phase != y->phase)
		return x->phase - y->phase;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->waker != y->waker)
		return x->waker < y->waker ? -1 : 1;
	return x->waker_phase - y->waker_phase;
}

static int cmp_ns(const void *a, const void *b)
{
	const struct offcpu_wait *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns > y->ns ? -1 : 1;
	return cmp_key(a, b);
}

/* Kernel keys that resolve to one (thread, phase, waker, waker's phase) become one. */
static void merge_waits(struct offcpu_report *r)
{
	size_t k = 0;

	qsort(r->waits, r->n, sizeof(*r->waits), cmp_key);
	for (size_t i = 0; i < r->n; i++) {
		if (k && !cmp_key(&r->waits[k - 1], &r->waits[i])) {
			r->waits[k - 1].ns += r->waits[i].ns;
			r->waits[k - 1].count += r->waits[i].count;
			continue;
		}
		r->waits[k++] = r->waits[i];
	}
	r->n = k;
	qsort(r->waits, r->n, sizeof(*r->waits), cmp_ns);
}

int offcpu__add_wait(struct offcpu_report *r, const struct pp_wait_key *k,
		     const struct pp_sys_val *v, uint32_t final_seq)
{
	struct offcpu_wait *w = vec_grow(r->waits, r->n, &r->cap, sizeof(*w), 64);

	if (!w)
		return -ENOMEM;
	r->waits = w;
	w = &r->waits[r->n++];
	*w = (struct offcpu_wait){ k->tid,
				   k->waker,
				   wait_phase(k->phase, k->flags, k->seq, final_seq),
				   wait_phase(k->waker_phase, k->waker_flags, k->waker_seq,
					      final_seq),
				   v->ns,
				   v->count };
	r->blocked_ns[w->phase] += v->ns;
	return 0;
}

/* ns to microseconds, rounded; stacks blocked for less than half of one go. */
static void to_microseconds(struct stack_result *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++) {
		s->lines[i].count = (s->lines[i].count + 500) / 1000;
		if (!s->lines[i].count) {
			free(s->lines[i].stack);
			continue;
		}
		s->lines[k++] = s->lines[i];
	}
	s->n = k;
	/* the index no longer matches: nothing is added after this */
	free(s->slots);
	s->slots = NULL;
	s->nslots = 0;
	s->total = 0;
	memset(s->phase_samples, 0, sizeof(s->phase_samples));
	for (size_t i = 0; i < s->n; i++) {
		s->total += s->lines[i].count;
		s->phase_samples[s->lines[i].phase] += s->lines[i].count;
	}
}

void offcpu__finish(struct offcpu_report *r)
{
	merge_waits(r);
	to_microseconds(&r->stacks);
}

static const char *thread_name(const struct run_stats *st, uint32_t tid)
{
	for (size_t i = 0; st && i < st->nthreads; i++)
		if (st->threads[i].tid == tid)
			return st->threads[i].comm;
	return "?";
}

static void print_wait(FILE *f, const struct offcpu_wait *w, const struct run_stats *st)
{
	fprintf(f, "      thread %u (%s) ", w->tid, thread_name(st, w->tid));
	if (w->waker)
		fprintf(f, "waiting for thread %u (%s, in %s)", w->waker, thread_name(st, w->waker),
			phase__name(w->waker_phase));
	else
		fprintf(
		    f,
		    "blocked, woken by no thread of the runtime (a timer, I/O, another process)");
	fprintf(f, ": %.2f ms, %llu time%s\n", w->ns / 1e6, (unsigned long long)w->count,
		w->count == 1 ? "" : "s");
}

void offcpu__table(FILE *f, const struct offcpu_report *r, const struct run_stats *st)
{
	fprintf(f, "  off-CPU per phase (blocked ms; the longest waits, by who ended them):\n");
	for (int p = 0; p < PP_PHASE_COUNT; p++) {
		int shown = 0;

		if (!r->blocked_ns[p])
			continue;
		fprintf(f, "    %-12s %10.2f\n", phase__name(p), r->blocked_ns[p] / 1e6);
		for (size_t i = 0; i < r->n && shown < 3; i++)
			if (r->waits[i].phase == p && r->waits[i].ns >= 1000) {
				print_wait(f, &r->waits[i], st);
				shown++;
			}
	}
	if (r->lost)
		fprintf(
		    f,
		    "  warning: %llu blocked stretches not counted (the kernel's table was full)\n",
		    (unsigned long long)r->lost);
}

void offcpu__json(struct json *j, const struct offcpu_report *r)
{
	json_begin_object(j, "offcpu");
	json_begin_object(j, "blocked_ns");
	for (int p = 0; p < PP_PHASE_COUNT; p++)
		json_u64(j, phase__name(p), r->blocked_ns[p]);
	json_end_object(j);
	json_begin_array(j, "waits");
	for (size_t i = 0; i < r->n; i++) {
		const struct offcpu_wait *w = &r->waits[i];

		json_begin_object(j, NULL);
		json_u64(j, "tid", w->tid);
		json_string(j, "phase", phase__name(w->phase));
		if (w->waker) {
			json_u64(j, "waker_tid", w->waker);
			json_string(j, "waker_phase", phase__name(w->waker_phase));
		} else {
			json_null(j, "waker_tid");
			json_null(j, "waker_phase");
		}
		json_u64(j, "ns", w->ns);
		json_u64(j, "count", w->count);
		json_end_object(j);
	}
	json_end_array(j);
	json_u64(j, "stacks_us", r->stacks.total);
	json_u64(j, "lost", r->lost);
	json_end_object(j);
}

void offcpu__free(struct offcpu_report *r)
{
	free(r->waits);
	stacks__free(&r->stacks);
	memset(r, 0, sizeof(*r));
}
