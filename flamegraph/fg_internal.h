/* SPDX-License-Identifier: MIT */
/*
 * fg_internal.h: what the flamegraph files share and the unit test reaches:
 * the merged stack tree (a trie of interned frame names), the folded-line
 * parser, the buffered SVG writer with XML escaping, and the palettes.
 */
#ifndef PHASEPROF_FG_INTERNAL_H
#define PHASEPROF_FG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flamegraph.h"

#define FG_ROOT 0 /* node id of "all" */

void fg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A trie node. Children are found through the tree's (parent, name) hash
 * table; child/sibling link them for the walk that lays the graph out.
 */
struct fg_node {
	uint32_t name;
	uint32_t parent;
	uint32_t child;   /* first child, 0 if none (the root is nobody's child) */
	uint32_t sibling; /* next sibling, 0 if none */
	uint64_t count;   /* inclusive count (profile A in a diff) */
};

/* Which count(s) a folded line carries and where they go. */
enum fg_slot {
	FG_SLOT_A,  /* "stack N" into count */
	FG_SLOT_B,  /* "stack N" into count_b */
	FG_SLOT_AB, /* "stack A B" into count and count_b */
};

struct fg_ent {
	uint32_t hash; /* the path hash (its low bits are the slot) */
	uint32_t node; /* 0: empty (the root is in no slot) */
};

struct fg_span {
	const char *s;
	uint32_t len;
};

struct fg_tree {
	struct fg_node *nodes;
	uint32_t nr_nodes, cap_nodes;
	/* profile B's inclusive counts, parallel to nodes; NULL unless diff */
	uint64_t *count_b;
	/*
	 * node lookup, open addressing, keyed by a hash of the node's whole path
	 * from the root: a line's slots are all known before the walk, so their
	 * cache misses can overlap (prefetch) rather than follow one another
	 */
	struct fg_ent *child_tab;
	uint32_t child_mask;

	/* interned names: NUL-terminated in one arena */
	char *arena;
	size_t arena_len, arena_cap;
	uint32_t *name_off, *name_len, *name_hash;
	uint32_t nr_names, cap_names;
	uint32_t *name_tab; /* name id + 1, 0 is empty */
	uint32_t name_mask;

	/* per-line scratch: the frames, and the previous line's path for prefix reuse */
	struct fg_span *frames;
	uint32_t *prev_name, *prev_node, *path_hash;
	size_t cap_frames, prev_n;

	bool reverse;
	/* "process;[phase];..." lines lose their process frame (diffs align by phase) */
	bool drop_process;
	uint64_t lines, skipped;
	uint64_t first_bad_line; /* 1-based, 0 if none */
};

int fg_tree_init(struct fg_tree *t, bool diff);
void fg_tree_free(struct fg_tree *t);
/* one line without its '\n'; returns 0, 1 if skipped as malformed, or -errno */
int fg_tree_add_line(struct fg_tree *t, const char *line, size_t len, enum fg_slot slot);
/* all lines of a file (NULL or "-": stdin); reports skipped lines on stderr */
int fg_tree_add_path(struct fg_tree *t, const char *path, enum fg_slot slot);
int fg_tree_add_fd(struct fg_tree *t, int fd, enum fg_slot slot);
/* Folded lines already in memory (the last may lack its newline). */
int fg_tree_add_buffer(struct fg_tree *t, const char *buf, size_t len, enum fg_slot slot);
/* find a child by name, or 0 */
uint32_t fg_tree_child(const struct fg_tree *t, uint32_t parent, const char *name);
/* count of what a node holds itself (not its children) in count or count_b */
uint64_t fg_tree_self(const struct fg_tree *t, uint32_t node, bool b);

static inline const char *fg_name(const struct fg_tree *t, uint32_t id)
{
	return t->arena + t->name_off[id];
}

/* parse "stack N" or "stack A B": the stack's length and the counts; -EINVAL if malformed */
int fg_parse_counts(const char *line, size_t len, int nr_counts, size_t *stack_len,
		    uint64_t *counts);

/* buffered output, written in big chunks; the first error sticks */
struct fg_out {
	FILE *f;
	char *buf;
	size_t len, cap;
	int err;
};

int fg_out_init(struct fg_out *o, FILE *f);
int fg_out_finish(struct fg_out *o); /* flush and free; 0 or -errno */
void fg_out_flush(struct fg_out *o);
void fg_out_write(struct fg_out *o, const char *s, size_t len);
void fg_out_puts(struct fg_out *o, const char *s);
void fg_out_printf(struct fg_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fg_out_u64(struct fg_out *o, uint64_t v);
/* XML text: &<>"' escaped, control bytes and invalid UTF-8 as U+FFFD */
void fg_out_escape(struct fg_out *o, const char *s, size_t len);
/* as above, at most max_chars characters, ending in ".." if cut */
void fg_out_escape_fit(struct fg_out *o, const char *s, size_t len, size_t max_chars);
/* characters in a UTF-8 string (invalid bytes count one each) */
size_t fg_utf8_chars(const char *s, size_t len);

/* display name: the name without a trailing _[k] _[j] _[i] _[w] annotation */
size_t fg_display_len(const char *name, size_t len);

struct fg_rgb {
	uint8_t r, g, b;
};

/*
 * The phase frames in run order: 0..6 for [startup] [load] [compile]
 * [instantiate] [execute] [teardown] [unknown], else -1. Siblings are placed
 * in this order, then other frames by name.
 */
int fg_phase_index(const char *name, size_t len);
struct fg_rgb fg_phase_color(int phase);
/* a frame's colour; seed varies the shade (the name hash with --hash) */
struct fg_rgb fg_frame_color(enum flame_palette pal, const char *name, size_t len,
			     uint32_t seed);
/* diff colour: delta in [-1, 1], positive red (more in B) */
struct fg_rgb fg_diff_color(double delta);
uint32_t fg_hash_bytes(const char *s, size_t len);
extern const char *const fg_palette_names[FLAME_PAL_NR];

/* the SVG's script */
extern const char fg_script[];

/* lay out and write the SVG of a merged tree; diff colours by B vs scaled A */
int fg_render_svg(const struct fg_tree *t, struct fg_out *o, const struct flame_opts *opts,
		  bool diff);
/* write "stack COUNT_A COUNT_B" lines of a diff tree */
int fg_write_diff_folded(const struct fg_tree *t, struct fg_out *o, bool normalize);

#endif /* PHASEPROF_FG_INTERNAL_H */
