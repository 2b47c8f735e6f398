// SPDX-License-Identifier: MIT
/* stacks.c: fold the kernel's stack counts into named stacks, see stacks.h */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "vec.h"
#include "profile.h"
#include "stacks.h"

#define LINE_MAX_BYTES (64 << 10)

struct builder {
	char *buf;
	size_t len;
	bool full;
};

static void append(struct builder *b, const char *s)
{
	for (; *s && !b->full; s++) {
		if (b->len + 2 >= LINE_MAX_BYTES) {
			b->full = true;
			break;
		}
		/* ';' separates frames and a newline ends the line: neither fits in a name */
		b->buf[b->len++] = *s == ';' ? ':' : *s == '\n' ? ' ' : *s;
	}
	b->buf[b->len] = '\0';
}

static void add_frame(struct builder *b, const char *name, const char *suffix)
{
	if (b->full)
		return;
	if (b->len && b->len + 2 < LINE_MAX_BYTES)
		b->buf[b->len++] = ';';
	append(b, name);
	if (suffix)
		append(b, suffix);
}

static int stack_ips(int fd, __s32 id, __u64 *ips)
{
	memset(ips, 0, PP_MAX_STACK_DEPTH * sizeof(*ips));
	return id < 0 ? -ENOENT : bpf_map_lookup_elem(fd, &id, ips);
}

/* A stack that reaches these got to the bottom: main's callers, or a thread's start. */
static bool is_root_frame(const char *name)
{
	static const char *const roots[] = { "main", "__libc_start_call_main", "__libc_start_main",
					     "_start", "start_thread", "clone3", "__clone3",
					     "thread_start" };

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (!strcmp(name, roots[i]))
			return true;
	return false;
}

/*
 * ips innermost first, as both the stack map and the unwinder give them.
 * Return addresses point after their call: name them by address - 1, which is
 * still in the calling function when the call was its last instruction.
 */
static bool user_frames(struct builder *b, const struct mmaps *mm, struct symbolizer *z,
			uint32_t tgid, const uint64_t *ips, int n)
{
	bool complete = false;
	char name[1024];

	/* folded stacks go outermost first */
	while (n-- > 0) {
		uint64_t at = n ? ips[n] - 1 : ips[n];
		enum frame_kind kind = symbolizer__user(z, mm, tgid, at, name, sizeof(name));

		complete |= kind == FRAME_USER && is_root_frame(name);
		add_frame(b, name, kind == FRAME_JIT ? "_[j]" : NULL);
	}
	return complete;
}

static int map_user_ips(const struct stack_maps *maps, const struct pp_sample_key *k,
			uint64_t *ips)
{
	__u64 raw[PP_MAX_STACK_DEPTH];
	int n = 0;

	if (stack_ips(maps->stacks_fd, k->ustack, raw))
		return 0;
	while (n < PP_MAX_STACK_DEPTH && raw[n]) {
		ips[n] = raw[n];
		n++;
	}
	return n;
}

static void kernel_frames(struct builder *b, const struct stack_maps *maps, struct symbolizer *z,
			  const struct pp_sample_key *k)
{
	__u64 ips[PP_MAX_STACK_DEPTH];
	char name[512];
	int n = 0;

	if (stack_ips(maps->stacks_fd, k->kstack, ips))
		return;
	while (n < PP_MAX_STACK_DEPTH && ips[n])
		n++;
	while (n-- > 0) {
		symbolizer__kernel(z, ips[n], name, sizeof(name));
		add_frame(b, name, "_[k]");
	}
}

/* The lingering phase of the main thread's last stretch is teardown (phases.h). */
static int sample_phase(const struct pp_sample_key *k, uint32_t final_seq)
{
	if (k->phase >= PP_PHASE_COUNT)
		return PP_PHASE_STARTUP;
	if ((k->flags & PP_SAMPLE_LINGER) && k->seq == final_seq)
		return PP_PHASE_TEARDOWN;
	return k->phase;
}

static uint64_t line_hash(const char *s, int phase)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)phase;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* index of lines by (phase, stack): open addressing, twice as many slots as lines */
static int rehash(struct stack_result *r, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		size_t h = line_hash(r->lines[i].stack, r->lines[i].phase) & (nslots - 1);

		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = i + 1;
	}
	free(r->slots);
	r->slots = slots;
	r->nslots = nslots;
	return 0;
}

static int add_line(struct stack_result *r, const char *stack, uint64_t count, int phase)
{
	struct fold_line *lines;
	size_t h;

	if (2 * (r->n + 1) > r->nslots && rehash(r, r->nslots ? 2 * r->nslots : 1024))
		return -ENOMEM;
	for (h = line_hash(stack, phase) & (r->nslots - 1); r->slots[h]; h = (h + 1) & (r->nslots - 1)) {
		struct fold_line *l = &r->lines[r->slots[h] - 1];

		if (l->phase == phase && !strcmp(l->stack, stack)) {
			l->count += count;
			return 0;
		}
	}
	lines = vec_grow(r->lines, r->n, &r->cap, sizeof(*lines), 256);
	if (!lines)
		return -ENOMEM;
	r->lines = lines;
	r->lines[r->n].stack = strdup(stack);
	if (!r->lines[r->n].stack)
		return -ENOMEM;
	r->lines[r->n].count = count;
	r->lines[r->n].phase = phase;
	r->slots[h] = ++r->n;
	return 0;
}

static uint32_t root_final_seq(const struct stack_maps *maps)
{
	struct pp_tstate st;
	__u32 tid = maps->root_tid;

	return bpf_map_lookup_elem(maps->tstate_fd, &tid, &st) ? 0 : st.seq;
}

/* One distinct sample: where its user stack comes from, and how often it was seen. */
struct sample_in {
	const struct pp_sample_key *k;
	const uint64_t *ips; /* user frames, innermost first */
	int n;
	uint64_t count;
	uint64_t ended; /* of count, walks the unwinder took to the outermost frame */
};

/* Hand the sample with its raw frames to the caller's on_sample (pprof). */
static int report_sample(const struct sample_in *in, const struct stack_maps *maps,
			 const struct stack_opts *o, int phase)
{
	uint64_t kips[PP_MAX_STACK_DEPTH];
	struct stack_sample_view v = { in->k, NULL, phase, in->ips, in->n, kips, 0, in->count };

	if (maps->process_name)
		v.process = maps->process_name(in->k->tgid, maps->ctx);
	if (!stack_ips(maps->stacks_fd, in->k->kstack, (__u64 *)kips))
		while (v.kn < PP_MAX_STACK_DEPTH && kips[v.kn])
			v.kn++;
	return o->on_sample(o->sample_ctx, &v);
}

static int fold_one(const struct sample_in *in, const struct stack_maps *maps,
		    const struct mmaps *mm, struct symbolizer *z, const struct stack_opts *o,
		    uint32_t final_seq, struct builder *b, struct stack_result *r)
{
	const struct pp_sample_key *k = in->k;
	int phase = sample_phase(k, final_seq);
	bool complete;
	char tag[32];

	b->len = 0;
	b->full = false;
	b->buf[0] = '\0';
	if (o->process_frame) {
		const char *proc = maps->process_name ? maps->process_name(k->tgid, maps->ctx) : NULL;

		add_frame(b, proc && *proc ? proc : k->comm, NULL);
	}
	if (o->phase_frame) {
		snprintf(tag, sizeof(tag), "[%s]", phase__name(phase));
		add_frame(b, tag, NULL);
	}
	complete = user_frames(b, mm, z, k->tgid, in->ips, in->n);
	kernel_frames(b, maps, z, k);
	if (!in->n && k->kstack < 0)
		add_frame(b, "[no stack]", NULL);
	r->phase_samples[phase] += in->count;
	r->total += in->count;
	r->no_stack += in->n ? 0 : in->count;
	r->complete += complete ? in->count : in->ended;
	if (o->on_sample && report_sample(in, maps, o, phase))
		return -ENOMEM;
	return add_line(r, b->buf, in->count, phase);
}

/* DWARF mode: stacks the user half unwound, counted here rather than in the kernel */
struct agg_entry {
	struct pp_sample_key key;
	uint64_t count;
	uint64_t ended;
	int n;
	uint64_t *ips;
};

struct stack_agg {
	struct agg_entry *v;
	size_t n, cap;
	size_t *slots;
	size_t nslots;
};

struct stack_agg *stack_agg__new(void)
{
	return calloc(1, sizeof(struct stack_agg));
}

static uint64_t agg_hash(const struct pp_sample_key *k, const uint64_t *ips, int n)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	for (int i = 0; i < n; i++)
		h = (h ^ ips[i]) * 1099511628211ULL;
	return h;
}

static int agg_rehash(struct stack_agg *a, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++) {
		size_t h = agg_hash(&a->v[i].key, a->v[i].ips, a->v[i].n) & (nslots - 1);

		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = i + 1;
	}
	free(a->slots);
	a->slots = slots;
	a->nslots = nslots;
	return 0;
}

int stack_agg__add(struct stack_agg *a, const struct pp_sample_key *k, const uint64_t *ips,
		   int n, bool ended)
{
	struct agg_entry *e;
	size_t h;

	if (2 * (a->n + 1) > a->nslots && agg_rehash(a, a->nslots ? 2 * a->nslots : 4096))
		return -ENOMEM;
	for (h = agg_hash(k, ips, n) & (a->nslots - 1); a->slots[h]; h = (h + 1) & (a->nslots - 1)) {
		e = &a->v[a->slots[h] - 1];
		if (e->n == n && !memcmp(&e->key, k, sizeof(*k)) &&
		    !memcmp(e->ips, ips, n * sizeof(*ips))) {
			e->count++;
			e->ended += ended;
			return 0;
		}
	}
	e = vec_grow(a->v, a->n, &a->cap, sizeof(*e), 1024);
	if (!e)
		return -ENOMEM;
	a->v = e;
	e = &a->v[a->n];
	e->ips = malloc((n ? n : 1) * sizeof(*ips));
	if (!e->ips)
		return -ENOMEM;
	memcpy(e->ips, ips, n * sizeof(*ips));
	e->key = *k;
	e->n = n;
	e->count = 1;
	e->ended = ended;
	a->slots[h] = ++a->n;
	return 0;
}

void stack_agg__free(struct stack_agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].ips);
	free(a->v);
	free(a->slots);
	free(a);
}

int stacks__collect(const struct stack_maps *maps, const struct stack_agg *agg,
		    const struct mmaps *mm, struct symbolizer *z, const struct stack_opts *o,
		    struct stack_result *r)
{
	struct pp_sample_key key, next, *prev = NULL;
	struct builder b = { .buf = malloc(LINE_MAX_BYTES) };
	uint32_t final_seq = root_final_seq(maps);
	int err = 0;

	memset(r, 0, sizeof(*r));
	r->lost = maps->samples_lost;
	if (!b.buf)
		return -ENOMEM;
	while (!err && !bpf_map_get_next_key(maps->samples_fd, prev, &next)) {
		uint64_t ips[PP_MAX_STACK_DEPTH];
		struct sample_in in = { .k = &key, .ips = ips };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(maps->samples_fd, &key, &in.count))
			continue;
		in.n = map_user_ips(maps, &key, ips);
		err = fold_one(&in, maps, mm, z, o, final_seq, &b, r);
	}
	for (size_t i = 0; agg && !err && i < agg->n; i++) {
		const struct agg_entry *e = &agg->v[i];
		struct sample_in in = { &e->key, e->ips, e->n, e->count, e->ended };

		err = fold_one(&in, maps, mm, z, o, final_seq, &b, r);
	}
	symbolizer__counts(z, &r->named, &r->unknown);
	free(b.buf);
	return err;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct fold_line *)a)->stack, ((const struct fold_line *)b)->stack);
}

int stacks__write_folded(FILE *f, const struct stack_result *r)
{
	qsort(r->lines, r->n, sizeof(*r->lines), cmp_line);
	for (size_t i = 0; i < r->n; i++)
		fprintf(f, "%s %llu\n", r->lines[i].stack, (unsigned long long)r->lines[i].count);
	return ferror(f) ? -EIO : 0;
}

void stacks__free(struct stack_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->lines[i].stack);
	free(r->lines);
	free(r->slots);
	memset(r, 0, sizeof(*r));
}
