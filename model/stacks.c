// SPDX-License-Identifier: MIT
/* stacks.c: fold a backend's (key, stack) tuples into named stacks, see stacks.h */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vec.h"
#include "profile.h"
#include "stacks.h"
#include "hash.h"

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

static void kernel_frames(struct builder *b, struct symbolizer *z, const struct stack_tuple *t)
{
	char name[512];

	for (int n = t->nkernel; n-- > 0;) {
		symbolizer__kernel(z, t->kernel[n], name, sizeof(name));
		add_frame(b, name, "_[k]");
	}
}

static uint64_t line_hash(const char *s, int phase)
{
	return fnv1a_str(FNV1A_INIT ^ (uint64_t)phase, s);
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

int stacks__fold(void *fold, const struct stack_tuple *t)
{
	struct stack_fold *f = fold;
	struct builder b = { .buf = f->buf };
	struct stack_result *r = f->r;
	int phase = t->phase >= 0 && t->phase < PP_PHASE_COUNT ? t->phase : PP_PHASE_STARTUP;
	bool complete;
	char tag[32];

	b.buf[0] = '\0';
	if (f->o->process_frame) {
		const char *proc = f->process_name ? f->process_name(t->tgid, f->ctx) : NULL;
		char comm[PP_COMM_LEN + 1];

		snprintf(comm, sizeof(comm), "%.*s", PP_COMM_LEN, t->comm);
		add_frame(&b, proc && *proc ? proc : comm, NULL);
	}
	if (f->o->phase_frame) {
		snprintf(tag, sizeof(tag), "[%s]", phase__name(phase));
		add_frame(&b, tag, NULL);
	}
	complete = user_frames(&b, f->mm, f->z, t->tgid, t->user, t->nuser);
	kernel_frames(&b, f->z, t);
	if (!t->nuser && t->nkernel < 0)
		add_frame(&b, "[no stack]", NULL);
	r->phase_samples[phase] += t->count;
	r->total += t->count;
	r->no_stack += t->nuser ? 0 : t->count;
	r->complete += complete ? t->count : t->ended;
	return add_line(r, b.buf, t->count, phase);
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
	return fnv1a(fnv1a(FNV1A_INIT, k, sizeof(*k)), ips, n * sizeof(*ips));
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

int stack_agg__each(const struct stack_agg *a,
		    int (*fn)(void *ctx, const struct pp_sample_key *k, const uint64_t *ips, int n,
			      uint64_t count, uint64_t ended),
		    void *ctx)
{
	int err = 0;

	for (size_t i = 0; a && !err && i < a->n; i++)
		err = fn(ctx, &a->v[i].key, a->v[i].ips, a->v[i].n, a->v[i].count, a->v[i].ended);
	return err;
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

int stacks__fold_begin(struct stack_fold *f, struct stack_result *r)
{
	memset(r, 0, sizeof(*r));
	f->r = r;
	f->buf = malloc(LINE_MAX_BYTES);
	return f->buf ? 0 : -ENOMEM;
}

void stacks__fold_end(struct stack_fold *f, uint64_t lost)
{
	f->r->lost = lost;
	symbolizer__counts(f->z, &f->r->named, &f->r->unknown);
	free(f->buf);
	f->buf = NULL;
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
