// SPDX-License-Identifier: MIT
/* syscalls.c: the kernel's system call counts folded per phase, see syscalls.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "json.h"
#include "profile.h"
#include "syscalls.h"
#include "vec.h"

/* Enough for every call number; one table per phase, indexed by number. */
#define NR_MAX 1024

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

/* Each phase's table by number, compacted to the calls made, most frequent first. */
static int compact(struct syscall_stat *by_nr, struct syscall_report *r)
{
	for (int p = 0; p < PP_PHASE_COUNT; p++) {
		struct syscall_stat *t = &by_nr[(size_t)p * NR_MAX];
		size_t n = 0;

		for (size_t i = 0; i < NR_MAX; i++)
			n += t[i].count > 0;
		r->phase[p] = calloc(n ? n : 1, sizeof(*r->phase[p]));
		if (!r->phase[p])
			return -ENOMEM;
		for (size_t i = 0; i < NR_MAX; i++)
			if (t[i].count)
				r->phase[p][r->n[p]++] = t[i];
		qsort(r->phase[p], r->n[p], sizeof(*r->phase[p]), cmp_count);
	}
	return 0;
}

int syscalls__collect(int counts_fd, int tstate_fd, uint32_t root_tid, uint64_t lost,
		      struct syscall_report *r)
{
	struct syscall_stat *by_nr = calloc((size_t)PP_PHASE_COUNT * NR_MAX, sizeof(*by_nr));
	struct pp_sys_key key, next, *prev = NULL;
	struct pp_tstate st;
	uint32_t final_seq = bpf_map_lookup_elem(tstate_fd, &root_tid, &st) ? 0 : st.seq;
	int err;

	memset(r, 0, sizeof(*r));
	r->lost = lost;
	if (!by_nr)
		return -ENOMEM;
	while (!bpf_map_get_next_key(counts_fd, prev, &next)) {
		struct pp_sys_val v;
		struct syscall_stat *s;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(counts_fd, &key, &v) || key.nr >= NR_MAX)
			continue;
		s = &by_nr[(size_t)call_phase(&key, final_seq) * NR_MAX + key.nr];
		s->nr = key.nr;
		s->count += v.count;
		s->ns += v.ns;
		r->total[call_phase(&key, final_seq)] += v.count;
	}
	err = compact(by_nr, r);
	free(by_nr);
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
	memset(r, 0, sizeof(*r));
}
