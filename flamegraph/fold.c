// SPDX-License-Identifier: MIT
/*
 * fold.c: folded stacks ("frame;frame;...;frame COUNT") merged into a trie.
 *
 * Built for big inputs: read in large chunks (no mmap, so the input's pages
 * do not count in our RSS), no allocation per line, frame names interned in
 * a small hash table that stays in cache, trie children in one (parent,
 * name) hash table. Folded files are usually sorted, so a line mostly
 * repeats the previous line's leading frames: those nodes are reused
 * without a trie lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fg_internal.h"

#define READ_CHUNK (8u << 20)

void fg_err(const char *fmt, ...)
{
	va_list ap;

	fputs("phaseprof: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void fg_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("phaseprof: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint32_t fg_hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
	uint64_t w;

	while (len >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		s += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

/* the path hash of a child named name under a node whose path hashes to parent */
static inline uint32_t path_hash(uint32_t parent, uint32_t name)
{
	uint64_t k = (uint64_t)parent << 32 | name;

	/* murmur3's finalizer: linear probing needs every bit mixed */
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return (uint32_t)k;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	while (n < need)
		n *= 2;
	q = realloc(p, n * elem);
	if (q)
		*cap = n;
	return q;
}

static int name_tab_resize(struct fg_tree *t, uint32_t size)
{
	uint32_t *tab = calloc(size, sizeof(*tab));
	uint32_t i, j;

	if (!tab)
		return -ENOMEM;
	for (i = 0; i < t->nr_names; i++) {
		for (j = t->name_hash[i] & (size - 1); tab[j]; j = (j + 1) & (size - 1))
			;
		tab[j] = i + 1;
	}
	free(t->name_tab);
	t->name_tab = tab;
	t->name_mask = size - 1;
	return 0;
}

static int name_new(struct fg_tree *t, const char *s, uint32_t len, uint32_t h)
{
	size_t cap = t->cap_names;
	uint32_t id = t->nr_names;
	void *p;

	if (id + 1 >= cap) {
		if (!(p = grow(t->name_off, &cap, id + 2, sizeof(uint32_t))))
			return -ENOMEM;
		t->name_off = p;
		cap = t->cap_names;
		if (!(p = grow(t->name_len, &cap, id + 2, sizeof(uint32_t))))
			return -ENOMEM;
		t->name_len = p;
		cap = t->cap_names;
		if (!(p = grow(t->name_hash, &cap, id + 2, sizeof(uint32_t))))
			return -ENOMEM;
		t->name_hash = p;
		t->cap_names = cap;
	}
	if (t->arena_len + len + 1 > t->arena_cap) {
		if (!(p = grow(t->arena, &t->arena_cap, t->arena_len + len + 1, 1)))
			return -ENOMEM;
		t->arena = p;
	}
	if (t->arena_len + len + 1 > UINT32_MAX)
		return -EOVERFLOW;
	memcpy(t->arena + t->arena_len, s, len);
	t->arena[t->arena_len + len] = '\0';
	t->name_off[id] = t->arena_len;
	t->name_len[id] = len;
	t->name_hash[id] = h;
	t->arena_len += len + 1;
	t->nr_names++;
	return id;
}

/* the id of a name, added if new; -errno on failure */
static int64_t intern(struct fg_tree *t, const char *s, uint32_t len)
{
	uint32_t h = fg_hash_bytes(s, len);
	uint32_t j, id;
	int ret;

	for (j = h & t->name_mask; (id = t->name_tab[j]); j = (j + 1) & t->name_mask) {
		id--;
		if (t->name_hash[id] == h && t->name_len[id] == len &&
		    !memcmp(t->arena + t->name_off[id], s, len))
			return id;
	}
	ret = name_new(t, s, len, h);
	if (ret < 0)
		return ret;
	t->name_tab[j] = ret + 1;
	if ((uint64_t)t->nr_names * 2 > t->name_mask) {
		int err = name_tab_resize(t, (t->name_mask + 1) * 2);

		if (err)
			return err;
	}
	return ret;
}

static int child_tab_resize(struct fg_tree *t, uint32_t size)
{
	struct fg_ent *tab = calloc(size, sizeof(*tab));
	uint32_t i, j;

	if (!tab)
		return -ENOMEM;
	for (i = 0; i <= t->child_mask; i++) {
		if (!t->child_tab[i].node)
			continue;
		for (j = t->child_tab[i].hash & (size - 1); tab[j].node; j = (j + 1) & (size - 1))
			;
		tab[j] = t->child_tab[i];
	}
	free(t->child_tab);
	t->child_tab = tab;
	t->child_mask = size - 1;
	return 0;
}

static int64_t node_new(struct fg_tree *t, uint32_t parent, uint32_t name)
{
	uint32_t id = t->nr_nodes;
	struct fg_node *n;

	if (id == UINT32_MAX - 1)
		return -EOVERFLOW;
	if (id >= t->cap_nodes) {
		size_t cap = t->cap_nodes;
		void *p = grow(t->nodes, &cap, (size_t)id + 1, sizeof(*t->nodes));

		if (!p)
			return -ENOMEM;
		t->nodes = p;
		if (t->count_b) {
			p = realloc(t->count_b, cap * sizeof(*t->count_b));
			if (!p)
				return -ENOMEM;
			t->count_b = p;
		}
		t->cap_nodes = cap;
	}
	n = &t->nodes[id];
	n->name = name;
	n->parent = parent;
	n->child = 0;
	n->sibling = t->nodes[parent].child;
	n->count = 0;
	t->nodes[parent].child = id;
	if (t->count_b)
		t->count_b[id] = 0;
	t->nr_nodes++;
	return id;
}

static int64_t child_get(struct fg_tree *t, uint32_t parent, uint32_t name, uint32_t h)
{
	const struct fg_ent *e;
	uint32_t j;
	int64_t ret;

	for (j = h & t->child_mask; (e = &t->child_tab[j])->node; j = (j + 1) & t->child_mask) {
		if (e->hash == h && t->nodes[e->node].parent == parent &&
		    t->nodes[e->node].name == name)
			return e->node;
	}
	ret = node_new(t, parent, name);
	if (ret < 0)
		return ret;
	t->child_tab[j] = (struct fg_ent){ h, ret };
	/* at most 70% full */
	if ((uint64_t)t->nr_nodes * 10 > (uint64_t)t->child_mask * 7) {
		int err = child_tab_resize(t, (t->child_mask + 1) * 2);

		if (err)
			return err;
	}
	return ret;
}

uint32_t fg_tree_child(const struct fg_tree *t, uint32_t parent, const char *name)
{
	uint32_t id;

	for (id = t->nodes[parent].child; id; id = t->nodes[id].sibling) {
		if (!strcmp(fg_name(t, t->nodes[id].name), name))
			return id;
	}
	return 0;
}

uint64_t fg_tree_self(const struct fg_tree *t, uint32_t node, bool b)
{
	uint64_t self = b ? t->count_b[node] : t->nodes[node].count;
	uint32_t c;

	for (c = t->nodes[node].child; c; c = t->nodes[c].sibling)
		self -= b ? t->count_b[c] : t->nodes[c].count;
	return self;
}

int fg_tree_init(struct fg_tree *t, bool diff)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->cap_nodes = 1024;
	t->nodes = malloc(t->cap_nodes * sizeof(*t->nodes));
	t->child_tab = calloc(2048, sizeof(*t->child_tab));
	t->name_tab = calloc(1024, sizeof(*t->name_tab));
	if (diff)
		t->count_b = malloc(t->cap_nodes * sizeof(*t->count_b));
	if (!t->nodes || !t->child_tab || !t->name_tab || (diff && !t->count_b)) {
		fg_tree_free(t);
		return -ENOMEM;
	}
	t->child_mask = 2047;
	t->name_mask = 1023;
	err = intern(t, "all", 3);
	if (err < 0) {
		fg_tree_free(t);
		return err;
	}
	memset(&t->nodes[FG_ROOT], 0, sizeof(t->nodes[FG_ROOT]));
	if (diff)
		t->count_b[FG_ROOT] = 0;
	t->nr_nodes = 1;
	return 0;
}

void fg_tree_free(struct fg_tree *t)
{
	free(t->nodes);
	free(t->count_b);
	free(t->child_tab);
	free(t->arena);
	free(t->name_off);
	free(t->name_len);
	free(t->name_hash);
	free(t->name_tab);
	free(t->frames);
	free(t->prev_name);
	free(t->prev_node);
	free(t->path_hash);
	memset(t, 0, sizeof(*t));
}

static inline bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* the last whitespace-separated token of line[0..*end) as a count; moves *end before it */
static int parse_last_count(const char *line, size_t *end, uint64_t *count)
{
	size_t e = *end, d;
	uint64_t v = 0;

	while (e > 0 && is_space(line[e - 1]))
		e--;
	d = e;
	while (d > 0 && line[d - 1] >= '0' && line[d - 1] <= '9')
		d--;
	if (d == e || d == 0 || !is_space(line[d - 1]) || e - d > 19)
		return -EINVAL;
	for (size_t i = d; i < e; i++)
		v = v * 10 + (line[i] - '0');
	while (d > 0 && is_space(line[d - 1]))
		d--;
	*end = d;
	*count = v;
	return 0;
}

int fg_parse_counts(const char *line, size_t len, int nr_counts, size_t *stack_len,
		    uint64_t *counts)
{
	size_t end = len;
	int i;

	for (i = nr_counts - 1; i >= 0; i--) {
		if (parse_last_count(line, &end, &counts[i]))
			return -EINVAL;
	}
	if (end == 0)
		return -EINVAL;
	*stack_len = end;
	return 0;
}

static int frames_reserve(struct fg_tree *t, size_t n)
{
	size_t cap = t->cap_frames;
	void *p;

	if (n <= cap)
		return 0;
	if (!(p = grow(t->frames, &cap, n, sizeof(*t->frames))))
		return -ENOMEM;
	t->frames = p;
	cap = t->cap_frames;
	if (!(p = grow(t->prev_name, &cap, n, sizeof(uint32_t))))
		return -ENOMEM;
	t->prev_name = p;
	cap = t->cap_frames;
	if (!(p = grow(t->prev_node, &cap, n, sizeof(uint32_t))))
		return -ENOMEM;
	t->prev_node = p;
	cap = t->cap_frames;
	if (!(p = grow(t->path_hash, &cap, n, sizeof(uint32_t))))
		return -ENOMEM;
	t->path_hash = p;
	t->cap_frames = cap;
	return 0;
}

/* split a stack on ';' into t->frames; returns the number of frames or -errno */
static int64_t split_frames(struct fg_tree *t, const char *s, size_t len)
{
	const char *end = s + len, *semi;
	size_t n = 0;

	for (;;) {
		if (n >= t->cap_frames && frames_reserve(t, n + 1))
			return -ENOMEM;
		semi = memchr(s, ';', end - s);
		if (!semi)
			semi = end;
		if (semi - s > UINT32_MAX)
			return -EOVERFLOW;
		t->frames[n].s = s;
		t->frames[n].len = semi - s;
		n++;
		if (semi == end)
			break;
		s = semi + 1;
	}
	if (t->drop_process && n >= 2 && fg_phase_index(t->frames[1].s, t->frames[1].len) >= 0) {
		memmove(t->frames, t->frames + 1, (n - 1) * sizeof(*t->frames));
		n--;
	}
	if (t->reverse) {
		for (size_t i = 0; i < n / 2; i++) {
			struct fg_span tmp = t->frames[i];

			t->frames[i] = t->frames[n - 1 - i];
			t->frames[n - 1 - i] = tmp;
		}
	}
	return n;
}

static inline void add_counts(struct fg_tree *t, uint32_t node, enum fg_slot slot,
			      const uint64_t *c)
{
	if (slot == FG_SLOT_B) {
		t->count_b[node] += c[0];
		return;
	}
	t->nodes[node].count += c[0];
	if (slot == FG_SLOT_AB)
		t->count_b[node] += c[1];
}

/*
 * Merge the frames of one line. Three passes: intern the names and find how
 * many leading frames repeat the previous line; hash the other frames' paths
 * and prefetch their table slots; then walk down, finding or adding nodes.
 */
static int add_stack(struct fg_tree *t, size_t n, enum fg_slot slot, const uint64_t *c)
{
	uint32_t parent = FG_ROOT, h = 0, *names = t->prev_name;
	size_t d, same = 0;
	int64_t name, node;

	for (d = 0; d < n; d++) {
		name = intern(t, t->frames[d].s, t->frames[d].len);
		if (name < 0)
			return name;
		if (same == d && d < t->prev_n && names[d] == name)
			same++;
		names[d] = name;
	}
	if (same)
		h = t->path_hash[same - 1];
	for (d = same; d < n; d++) {
		h = path_hash(h, names[d]);
		t->path_hash[d] = h;
		__builtin_prefetch(&t->child_tab[h & t->child_mask]);
	}
	for (d = same; d < n; d++) {
		node = t->child_tab[t->path_hash[d] & t->child_mask].node;
		__builtin_prefetch(&t->nodes[node]);
	}
	for (d = 0; d < n; d++) {
		if (d < same)
			node = t->prev_node[d];
		else if ((node = child_get(t, parent, names[d], t->path_hash[d])) < 0)
			return node;
		t->prev_node[d] = node;
		add_counts(t, node, slot, c);
		parent = node;
	}
	t->prev_n = n;
	add_counts(t, FG_ROOT, slot, c);
	return 0;
}

int fg_tree_add_line(struct fg_tree *t, const char *line, size_t len, enum fg_slot slot)
{
	uint64_t c[2] = { 0, 0 };
	size_t stack_len;
	int64_t n;

	t->lines++;
	if (fg_parse_counts(line, len, slot == FG_SLOT_AB ? 2 : 1, &stack_len, c)) {
		/* blank lines and comments are not worth a warning */
		while (len && is_space(line[len - 1]))
			len--;
		if (len && line[0] != '#') {
			t->skipped++;
			if (!t->first_bad_line)
				t->first_bad_line = t->lines;
		}
		return 1;
	}
	if (!c[0] && !c[1])
		return 0;
	n = split_frames(t, line, stack_len);
	if (n < 0)
		return n;
	if ((size_t)n > t->cap_frames && frames_reserve(t, n))
		return -ENOMEM;
	return add_stack(t, n, slot, c);
}

/* feed the complete lines of buf[0..len); returns bytes consumed or -errno */
static int64_t feed(struct fg_tree *t, const char *buf, size_t len, enum fg_slot slot, bool eof)
{
	const char *p = buf, *end = buf + len, *nl;
	int err;

	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl) {
			if (!eof)
				break;
			nl = end;
		}
		err = fg_tree_add_line(t, p, nl - p, slot);
		if (err < 0)
			return err;
		p = nl < end ? nl + 1 : end;
	}
	return p - buf;
}

int fg_tree_add_buffer(struct fg_tree *t, const char *buf, size_t len, enum fg_slot slot)
{
	int64_t used = feed(t, buf, len, slot, true);

	return used < 0 ? (int)used : 0;
}

int fg_tree_add_fd(struct fg_tree *t, int fd, enum fg_slot slot)
{
	size_t cap = READ_CHUNK, have = 0;
	char *buf = malloc(cap);
	int64_t used;
	ssize_t r;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	t->prev_n = 0;
	for (;;) {
		if (have == cap) {
			/* one line longer than the buffer */
			char *p = realloc(buf, cap * 2);

			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		have += r;
		used = feed(t, buf, have, slot, r == 0);
		if (used < 0) {
			err = used;
			break;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		if (r == 0)
			break;
	}
	free(buf);
	return err;
}

int fg_tree_add_path(struct fg_tree *t, const char *path, enum fg_slot slot)
{
	bool is_stdin = !path || !strcmp(path, "-");
	const char *shown = is_stdin ? "<stdin>" : path;
	uint64_t skipped = t->skipped;
	int fd, err;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fg_err("cannot open '%s': %s", path, strerror(errno));
		return err;
	}
	t->first_bad_line = 0;
	t->lines = 0;
	err = fg_tree_add_fd(t, fd, slot);
	if (!is_stdin)
		close(fd);
	if (err) {
		fg_err("cannot read '%s': %s", shown, strerror(-err));
		return err;
	}
	if (t->skipped > skipped)
		fg_warn("%s: skipped %llu of %llu lines that are not 'stack count%s' (first: line %llu)",
			shown, (unsigned long long)(t->skipped - skipped),
			(unsigned long long)t->lines, slot == FG_SLOT_AB ? " count" : "",
			(unsigned long long)t->first_bad_line);
	return 0;
}
