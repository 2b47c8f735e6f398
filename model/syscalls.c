// SPDX-License-Identifier: MIT
/* syscalls.c: the kernel's system call counts folded per phase, see syscalls.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "profile.h"
#include "syscalls.h"
#include "vec.h"

/*
 * Newer than many installed headers, and phaseprof's own: x86-64's uretprobe
 * system call (Linux 6.11, commit 190fec72df4a), which a uretprobe's
 * trampoline makes when the probed function returns.
 */
#define NR_URETPROBE 335

const char *syscall__name(uint32_t nr, char *buf, size_t len)
{
	if (nr < syscall_names_len && syscall_names[nr])
		return syscall_names[nr];
	if (nr == NR_URETPROBE)
		return "uretprobe";
	snprintf(buf, len, "syscall_%u", nr);
	return buf;
}

/* The phase a call belongs to, as stacks.c decides a sample's. */
static int call_phase(const struct pp_sys_key *k, uint32_t final_seq)
{
	if (k->phase >= PP_PHASE_COUNT)
		return PP_PHASE_STARTUP;
	if ((k->flags & PP_SAMPLE_LINGER) && k->seq == final_seq)
		return PP_PHASE_TEARDOWN;
	return k->phase;
}

static int cmp_count(const void *a, const void *b)
{
	const struct syscall_stat *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

/* One kernel entry with its phase resolved. */
struct syscall_raw {
	int phase;
	uint32_t nr, tid;
	uint64_t count, ns;
};

static int cmp_raw(const void *a, const void *b)
{
	const struct syscall_raw *x = a, *y = b;

	if (x->phase != y->phase)
		return x->phase - y->phase;
	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int syscalls__add(struct syscall_report *r, const struct pp_sys_key *k, const struct pp_sys_val *v,
		  uint32_t final_seq)
{
	struct syscall_raw *w = vec_grow(r->raw, r->nraw, &r->raw_cap, sizeof(*w), 256);

	if (!w)
		return -ENOMEM;
	r->raw = w;
	r->raw[r->nraw++] =
	    (struct syscall_raw){ call_phase(k, final_seq), k->nr, k->tid, v->count, v->ns };
	return 0;
}

/* Sorted entries into per-phase calls, each with its threads (the rows), most frequent first. */
static int build(struct syscall_report *r, const struct syscall_raw *v, size_t n)
{
	struct syscall_stat *s = NULL;

	r->rows = calloc(n ? n : 1, sizeof(*r->rows));
	for (int p = 0; r->rows && p < PP_PHASE_COUNT; p++)
		r->phase[p] = calloc(n ? n : 1, sizeof(*r->phase[p]));
	for (int p = 0; p < PP_PHASE_COUNT; p++)
		if (!r->phase[p])
			return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!i || v[i].phase != v[i - 1].phase || v[i].nr != v[i - 1].nr) {
			s = &r->phase[v[i].phase][r->n[v[i].phase]++];
			*s = (struct syscall_stat){ .nr = v[i].nr, .threads = &r->rows[r->nrows] };
		}
		if (s->nthreads && r->rows[r->nrows - 1].tid == v[i].tid) {
			r->rows[r->nrows - 1].count += v[i].count; /* one thread, several lingers */
			r->rows[r->nrows - 1].ns += v[i].ns;
		} else {
			r->rows[r->nrows++] =
			    (struct syscall_thread){ v[i].tid, v[i].count, v[i].ns };
			s->nthreads++;
		}
		s->count += v[i].count;
		s->ns += v[i].ns;
		r->total[v[i].phase] += v[i].count;
	}
	for (int p = 0; p < PP_PHASE_COUNT; p++)
		qsort(r->phase[p], r->n[p], sizeof(*r->phase[p]), cmp_count);
	return 0;
}

int syscalls__finish(struct syscall_report *r)
{
	int err;

	qsort(r->raw, r->nraw, sizeof(*r->raw), cmp_raw);
	err = build(r, r->raw, r->nraw);
	free(r->raw);
	r->raw = NULL;
	r->nraw = r->raw_cap = 0;
	return err;
}

void syscalls__table(FILE *f, const struct syscall_report *r, size_t top)
{
	char buf[32];

	fprintf(
	    f, "  top system calls per phase (calls, ms in the kernel; vDSO calls not counted):\n");
	for (int p = 0; p < PP_PHASE_COUNT; p++) {
		if (!r->n[p])
			continue;
		fprintf(f, "    %-12s %8llu:", phase__name(p), (unsigned long long)r->total[p]);
		for (size_t i = 0; i < r->n[p] && i < top; i++)
			fprintf(f, "%s %s %llu (%.2f)", i ? "," : "",
				syscall__name(r->phase[p][i].nr, buf, sizeof(buf)),
				(unsigned long long)r->phase[p][i].count, r->phase[p][i].ns / 1e6);
		fputc('\n', f);
	}
	if (r->lost)
		fprintf(f,
			"  warning: %llu system calls not counted (the kernel's table was full)\n",
			(unsigned long long)r->lost);
}

/* who made the call: "threads": [{"tid", "count", "total_ns"}, ...] by tid */
static void json_threads(struct json *j, const struct syscall_stat *s)
{
	json_begin_array(j, "threads");
	for (size_t i = 0; i < s->nthreads; i++) {
		json_begin_object(j, NULL);
		json_u64(j, "tid", s->threads[i].tid);
		json_u64(j, "count", s->threads[i].count);
		json_u64(j, "total_ns", s->threads[i].ns);
		json_end_object(j);
	}
	json_end_array(j);
}

void syscalls__json(struct json *j, const struct syscall_report *r)
{
	char buf[32];

	json_begin_object(j, "syscalls");
	for (int p = 0; p < PP_PHASE_COUNT; p++) {
		json_begin_array(j, phase__name(p));
		for (size_t i = 0; i < r->n[p]; i++) {
			const struct syscall_stat *s = &r->phase[p][i];

			json_begin_object(j, NULL);
			json_string(j, "name", syscall__name(s->nr, buf, sizeof(buf)));
			json_u64(j, "nr", s->nr);
			json_u64(j, "count", s->count);
			json_u64(j, "total_ns", s->ns);
			json_threads(j, s);
			json_end_object(j);
		}
		json_end_array(j);
	}
	json_u64(j, "lost", r->lost);
	json_end_object(j);
}

void syscalls__free(struct syscall_report *r)
{
	for (int p = 0; p < PP_PHASE_COUNT; p++)
		free(r->phase[p]);
	free(r->rows);
	free(r->raw);
	memset(r, 0, sizeof(*r));
}
