// SPDX-License-Identifier: MIT
/*
 * svg.c: lay the merged tree out and write the SVG.
 *
 * Siblings are placed in name order (as flamegraph.pl does, which sorts the
 * stacks), except phase frames, which come first and in run order, children from the parent's left edge. Only frames at least
 * minwidth wide are laid out: on a big profile that is a small part of the
 * tree. A narrow sibling still takes its space; its place among the wide
 * ones is found by binary search rather than by sorting every child.
 *
 * In a diff the widths come from B and the colour from B minus A (A scaled
 * to B's total unless --no-normalize), inclusive counts, saturation relative
 * to the largest change in the graph.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fg_internal.h"

#define XPAD 10
#define CHAR_WIDTH 0.59 /* average glyph width, in font sizes */

/* a frame to draw: x in counts from the left edge */
struct fg_frame {
	uint32_t node;
	uint32_t depth;
	uint64_t x;
};

struct layout {
	const struct fg_tree *t;
	const struct flame_opts *opts;
	bool diff;
	double pps;     /* pixels per count */
	double min_px;
	struct fg_frame *frames;
	size_t nr, cap;
	uint32_t max_depth;
	double scale_a; /* diff: A's counts times this compare with B's */
	double max_delta;
};

static inline uint64_t width_of(const struct layout *l, uint32_t id)
{
	return l->diff ? l->t->count_b[id] : l->t->nodes[id].count;
}

/* phase frames first, in run order, then the other frames by name */
static int name_cmp(const struct fg_tree *t, uint32_t a, uint32_t b)
{
	uint32_t na = t->nodes[a].name, nb = t->nodes[b].name;
	int pa = fg_phase_index(fg_name(t, na), t->name_len[na]);
	int pb = fg_phase_index(fg_name(t, nb), t->name_len[nb]);

	if (pa != pb)
		return (unsigned)pa < (unsigned)pb ? -1 : 1;
	return pa >= 0 ? 0 : strcmp(fg_name(t, na), fg_name(t, nb));
}

static const struct fg_tree *sort_tree;

static int node_cmp(const void *a, const void *b)
{
	return name_cmp(sort_tree, *(const uint32_t *)a, *(const uint32_t *)b);
}

/* index of the first of the n sorted wide nodes whose name sorts after id */
static size_t lower_bound(const struct fg_tree *t, const uint32_t *wide, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (name_cmp(t, wide[mid], id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct scratch {
	uint32_t *wide;
	uint64_t *gap; /* gap[i]: counts of narrow siblings sorted before wide[i] */
	size_t cap;
};

static int scratch_reserve(struct scratch *s, size_t n)
{
	void *p;

	if (n <= s->cap)
		return 0;
	n = n < 64 ? 64 : n * 2;
	if (!(p = realloc(s->wide, n * sizeof(*s->wide))))
		return -ENOMEM;
	s->wide = p;
	if (!(p = realloc(s->gap, (n + 1) * sizeof(*s->gap))))
		return -ENOMEM;
	s->gap = p;
	s->cap = n;
	return 0;
}

static int push_frame(struct layout *l, const struct fg_frame *f)
{
	if (l->nr == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		void *p = realloc(l->frames, cap * sizeof(*l->frames));

		if (!p)
			return -ENOMEM;
		l->frames = p;
		l->cap = cap;
	}
	l->frames[l->nr++] = *f;
	return 0;
}

/* the wide children of f, placed, onto the work stack (last first, so they pop in order) */
static int place_children(struct layout *l, const struct fg_frame *f, struct scratch *s,
			  struct fg_frame **stack, size_t *sp, size_t *scap)
{
	const struct fg_tree *t = l->t;
	size_t nw = 0, nc = 0, i;
	uint64_t x = f->x;
	uint32_t c;

	for (c = t->nodes[f->node].child; c; c = t->nodes[c].sibling)
		nc++;
	if (scratch_reserve(s, nc))
		return -ENOMEM;
	for (c = t->nodes[f->node].child; c; c = t->nodes[c].sibling) {
		if (width_of(l, c) && width_of(l, c) * l->pps >= l->min_px)
			s->wide[nw++] = c;
	}
	if (!nw)
		return 0;
	sort_tree = t;
	qsort(s->wide, nw, sizeof(*s->wide), node_cmp);
	memset(s->gap, 0, (nw + 1) * sizeof(*s->gap));
	for (c = t->nodes[f->node].child; c; c = t->nodes[c].sibling) {
		if (width_of(l, c) && width_of(l, c) * l->pps < l->min_px)
			s->gap[lower_bound(t, s->wide, nw, c)] += width_of(l, c);
	}
	if (*sp + nw > *scap) {
		size_t cap = (*sp + nw) * 2;
		void *p = realloc(*stack, cap * sizeof(**stack));

		if (!p)
			return -ENOMEM;
		*stack = p;
		*scap = cap;
	}
	for (i = 0; i < nw; i++) {
		x += s->gap[i];
		(*stack)[*sp + nw - 1 - i] = (struct fg_frame){ s->wide[i], f->depth + 1, x };
		x += width_of(l, s->wide[i]);
	}
	*sp += nw;
	return 0;
}

static int layout_frames(struct layout *l)
{
	struct scratch s = { 0 };
	struct fg_frame *stack = NULL, f;
	size_t sp = 0, scap = 0;
	int err = 0;

	if (!width_of(l, FG_ROOT))
		return 0;
	f = (struct fg_frame){ FG_ROOT, 0, 0 };
	err = push_frame(l, &f);
	if (!err)
		err = place_children(l, &f, &s, &stack, &sp, &scap);
	/* depth first, so each subtree comes out whole and siblings in name order */
	while (!err && sp) {
		f = stack[--sp];
		err = push_frame(l, &f);
		if (!err)
			err = place_children(l, &f, &s, &stack, &sp, &scap);
	}
	for (size_t i = 0; i < l->nr; i++) {
		if (l->frames[i].depth > l->max_depth)
			l->max_depth = l->frames[i].depth;
	}
	free(stack);
	free(s.wide);
	free(s.gap);
	return err;
}

static double delta_of(const struct layout *l, uint32_t id)
{
	return (double)l->t->count_b[id] - l->t->nodes[id].count * l->scale_a;
}

static void diff_setup(struct layout *l)
{
	const struct fg_tree *t = l->t;
	uint64_t a = t->nodes[FG_ROOT].count, b = t->count_b[FG_ROOT];

	l->scale_a = l->opts->normalize && a ? (double)b / a : 1.0;
	l->max_delta = 0;
	for (size_t i = 1; i < l->nr; i++) {
		double d = fabs(delta_of(l, l->frames[i].node));

		if (d > l->max_delta)
			l->max_delta = d;
	}
}

struct geometry {
	int width, height, fh;
	double fs;
	int ypad_top, ypad_bottom;
};

static void geometry_init(struct geometry *g, const struct layout *l)
{
	const struct flame_opts *o = l->opts;

	g->width = o->width;
	g->fh = o->frame_height;
	g->fs = o->fontsize;
	g->ypad_top = (int)(g->fs * 3);
	if (o->subtitle && *o->subtitle)
		g->ypad_top += (int)(g->fs * 1.5);
	if (l->diff)
		g->ypad_top += (int)(g->fs * 1.5);
	g->ypad_bottom = (int)(g->fs * 2 + 10);
	g->height = g->ypad_top + (l->max_depth + 1) * g->fh + g->ypad_bottom;
}

static const char *bg_stops(const struct flame_opts *o, const char **to)
{
	const char *bg = o->bgcolors;

	if (!bg)
		bg = o->palette == FLAME_PAL_MEM ? "green" :
		     o->palette == FLAME_PAL_IO	 ? "blue" :
		     o->palette == FLAME_PAL_WASM ? "grey" : "yellow";
	*to = NULL;
	if (!strcmp(bg, "yellow"))
		return *to = "#eeeeb0", "#eeeeee";
	if (!strcmp(bg, "blue"))
		return *to = "#e0e0ff", "#eeeeee";
	if (!strcmp(bg, "green"))
		return *to = "#e0ffe0", "#eef2ee";
	if (!strcmp(bg, "grey") || !strcmp(bg, "gray"))
		return *to = "#e8e8e8", "#f8f8f8";
	*to = bg; /* a flat colour, checked by the option parser */
	return bg;
}

static void write_head(struct fg_out *o, const struct layout *l, const struct geometry *g)
{
	const struct flame_opts *op = l->opts;
	const char *to, *from = bg_stops(op, &to);

	fg_out_printf(o, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
			 "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
			 "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
			 "<svg version=\"1.1\" id=\"ppflame\" width=\"%d\" height=\"%d\" "
			 "viewBox=\"0 0 %d %d\" onload=\"ppInit(evt)\" "
			 "xmlns=\"http://www.w3.org/2000/svg\" "
			 "xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
			 "data-pad=\"%d\" data-fontsize=\"%g\" data-inverted=\"%d\" data-diff=\"%d\" "
			 "data-nametype=\"",
		      g->width, g->height, g->width, g->height, XPAD, g->fs, op->inverted,
		      l->diff);
	fg_out_escape(o, op->nametype, strlen(op->nametype));
	fg_out_puts(o, "\">\n<!-- phaseprof flamegraph: hover for details, click to zoom, "
		       "Ctrl-F to search -->\n");
	fg_out_printf(o, "<defs><linearGradient id=\"ppbg\" x1=\"0\" x2=\"0\" y1=\"0\" y2=\"1\">"
			 "<stop stop-color=\"%s\" offset=\"5%%\"/>"
			 "<stop stop-color=\"%s\" offset=\"95%%\"/></linearGradient></defs>\n",
		      from, to);
	fg_out_puts(o, "<style type=\"text/css\">\ntext { font-family: ");
	fg_out_escape(o, op->fonttype, strlen(op->fonttype));
	fg_out_printf(o, "; font-size: %gpx; fill: rgb(0,0,0); }\n"
			 "#title { text-anchor: middle; font-size: %gpx; }\n"
			 "#subtitle, #legend { text-anchor: middle; fill: rgb(80,80,80); }\n"
			 "#search, #matched { text-anchor: end; }\n"
			 "#search, #unzoom { cursor: pointer; opacity: 0.9; }\n"
			 "#search:hover, #unzoom:hover { opacity: 1; text-decoration: underline; }\n"
			 "#frames > g { cursor: pointer; }\n"
			 "#frames > g:hover > rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n"
			 "#frames text { pointer-events: none; }\n"
			 ".hide { display: none; }\n"
			 ".pp-parent { opacity: 0.5; }\n"
			 "</style>\n<script type=\"text/ecmascript\"><![CDATA[\n",
		      g->fs, g->fs + 5);
	fg_out_puts(o, fg_script);
	fg_out_printf(o, "]]></script>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
			 "fill=\"url(#ppbg)\"/>\n",
		      g->width, g->height);
}

static void write_text(struct fg_out *o, const char *id, double x, double y, const char *cls,
		       const char *s)
{
	fg_out_printf(o, "<text id=\"%s\" x=\"%.2f\" y=\"%.2f\"%s%s%s>", id, x, y,
		      cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	fg_out_escape(o, s, strlen(s));
	fg_out_puts(o, "</text>\n");
}

static void write_legend(struct fg_out *o, const struct layout *l, const struct geometry *g,
			 double y)
{
	const struct flame_opts *op = l->opts;
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "red: more in B (%s), blue: less in B (than in A, %s)%s; widths from B",
		 op->label_b ? op->label_b : "B", op->label_a ? op->label_a : "A",
		 op->normalize ? ", A scaled to B's total" : "");
	write_text(o, "legend", g->width / 2.0, y, NULL, buf);
}

static void write_chrome(struct fg_out *o, const struct layout *l, const struct geometry *g)
{
	const struct flame_opts *op = l->opts;
	const char *title = op->title ? op->title :
				l->diff ? "Differential Flame Graph" : "Flame Graph";
	double y = g->fs * 2;

	write_text(o, "title", g->width / 2.0, y, NULL, title);
	if (op->subtitle && *op->subtitle) {
		y += g->fs * 1.5;
		write_text(o, "subtitle", g->width / 2.0, y, NULL, op->subtitle);
	}
	if (l->diff) {
		y += g->fs * 1.5;
		write_legend(o, l, g, y);
	}
	write_text(o, "unzoom", XPAD, g->fs * 2, "hide", "Reset Zoom");
	write_text(o, "search", g->width - XPAD, g->fs * 2, NULL, "Search");
	write_text(o, "details", XPAD, g->height - g->ypad_bottom / 2.0, NULL, " ");
	write_text(o, "matched", g->width - XPAD, g->height - g->ypad_bottom / 2.0, NULL, " ");
}

static void write_count(struct fg_out *o, uint64_t v)
{
	char digits[24], grouped[32];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v), j = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			grouped[j++] = ',';
		grouped[j++] = digits[i];
	}
	fg_out_write(o, grouped, j);
}

static struct fg_rgb frame_fill(const struct layout *l, uint32_t id, const char *name,
				size_t len)
{
	const struct fg_tree *t = l->t;
	uint32_t seed = t->name_hash[t->nodes[id].name];
	int phase;

	if (l->diff)
		return fg_diff_color(l->max_delta > 0 ? delta_of(l, id) / l->max_delta : 0);
	phase = fg_phase_index(name, len);
	if (phase >= 0)
		return fg_phase_color(phase);
	if (!l->opts->hash)
		seed = fg_hash_bytes((const char *)&id, sizeof(id)) ^ (seed >> 7);
	return fg_frame_color(l->opts->palette, name, len, seed);
}

static void write_title(struct fg_out *o, const struct layout *l, uint32_t id, const char *name,
			size_t shown)
{
	const struct fg_tree *t = l->t;
	uint64_t n = width_of(l, id), total = width_of(l, FG_ROOT);

	fg_out_puts(o, "<title>");
	fg_out_escape(o, name, shown);
	fg_out_puts(o, " (");
	write_count(o, n);
	fg_out_write(o, " ", 1);
	fg_out_escape(o, l->opts->countname, strlen(l->opts->countname));
	fg_out_printf(o, ", %.2f%%", 100.0 * n / total);
	if (l->diff) {
		fg_out_puts(o, "; A: ");
		write_count(o, t->nodes[id].count);
		fg_out_printf(o, "; %+.2f%%", 100.0 * delta_of(l, id) / total);
	}
	fg_out_puts(o, ")</title>");
}

static void write_frame(struct fg_out *o, const struct layout *l, const struct geometry *g,
			const struct fg_frame *f)
{
	const struct fg_tree *t = l->t;
	uint32_t nm = t->nodes[f->node].name;
	const char *name = fg_name(t, nm);
	size_t len = t->name_len[nm], shown = fg_display_len(name, len);
	double x = XPAD + f->x * l->pps, w = width_of(l, f->node) * l->pps;
	double y = l->opts->inverted ? g->ypad_top + (double)f->depth * g->fh :
				       g->height - g->ypad_bottom - (f->depth + 1.0) * g->fh;
	struct fg_rgb c = frame_fill(l, f->node, name, len);
	double fit = (w - 6) / (g->fs * CHAR_WIDTH);

	fg_out_write(o, "<g>", 3);
	write_title(o, l, f->node, name, shown);
	fg_out_printf(o, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
			 "fill=\"rgb(%u,%u,%u)\" rx=\"2\" ry=\"2\"/>",
		      x, y, w, g->fh - 1, c.r, c.g, c.b);
	if (fit >= 3) {
		fg_out_printf(o, "<text x=\"%.2f\" y=\"%.1f\">", x + 3,
			      y + g->fh / 2.0 + g->fs * 0.35);
		fg_out_escape_fit(o, name, shown, (size_t)fit);
		fg_out_puts(o, "</text>");
	}
	fg_out_write(o, "</g>\n", 5);
}

int fg_render_svg(const struct fg_tree *t, struct fg_out *o, const struct flame_opts *opts,
		  bool diff)
{
	struct layout l = { .t = t, .opts = opts, .diff = diff };
	struct geometry g;
	uint64_t total;
	int err;

	total = width_of(&l, FG_ROOT);
	l.pps = total ? (double)(opts->width - 2 * XPAD) / total : 0;
	l.min_px = opts->minwidth_pct ? opts->minwidth / 100.0 * (opts->width - 2 * XPAD) :
					opts->minwidth;
	err = layout_frames(&l);
	if (err) {
		free(l.frames);
		return err;
	}
	if (diff)
		diff_setup(&l);
	geometry_init(&g, &l);
	write_head(o, &l, &g);
	write_chrome(o, &l, &g);
	if (!total)
		write_text(o, "empty", g.width / 2.0, g.ypad_top + g.fh, NULL, "no samples");
	fg_out_puts(o, "<g id=\"frames\">\n");
	for (size_t i = 0; i < l.nr; i++)
		write_frame(o, &l, &g, &l.frames[i]);
	fg_out_puts(o, "</g>\n</svg>\n");
	free(l.frames);
	return 0;
}

/* "stack COUNT_A COUNT_B" for every node with a count of its own, depth first */
int fg_write_diff_folded(const struct fg_tree *t, struct fg_out *o, bool normalize)
{
	uint64_t a = t->nodes[FG_ROOT].count, b = t->count_b[FG_ROOT];
	double scale = normalize && a ? (double)b / a : 1.0;
	uint32_t *stack = NULL, *path = NULL, *depth = NULL;
	size_t sp = 0, cap = t->nr_nodes + 1;
	uint32_t c, d, id;

	stack = malloc(cap * sizeof(*stack));
	depth = malloc(cap * sizeof(*depth));
	path = malloc(cap * sizeof(*path));
	if (!stack || !depth || !path) {
		free(stack);
		free(depth);
		free(path);
		return -ENOMEM;
	}
	for (c = t->nodes[FG_ROOT].child; c; c = t->nodes[c].sibling) {
		stack[sp] = c;
		depth[sp++] = 0;
	}
	while (sp) {
		id = stack[--sp];
		d = depth[sp];
		path[d] = id;
		uint64_t sa = fg_tree_self(t, id, false), sb = fg_tree_self(t, id, true);

		if (sa || sb) {
			for (uint32_t i = 0; i <= d; i++) {
				uint32_t nm = t->nodes[path[i]].name;

				if (i)
					fg_out_write(o, ";", 1);
				fg_out_write(o, fg_name(t, nm), t->name_len[nm]);
			}
			fg_out_printf(o, " %llu %llu\n", (unsigned long long)llround(sa * scale),
				      (unsigned long long)sb);
		}
		for (c = t->nodes[id].child; c; c = t->nodes[c].sibling) {
			stack[sp] = c;
			depth[sp++] = d + 1;
		}
	}
	free(stack);
	free(depth);
	free(path);
	return 0;
}
