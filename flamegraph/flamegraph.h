/* SPDX-License-Identifier: MIT */
/*
 * flamegraph.h: folded stacks to an interactive SVG flame graph, and the
 * differential flame graph of two profiles. The verbs `phaseprof flamegraph`
 * and `phaseprof diff`, and the library call the recorder uses to write
 * DIR/flamegraph.svg after a run.
 *
 * Library functions print their own diagnostic on stderr ("phaseprof: ...")
 * and return 0 or -errno; callers should not print the error again.
 */
#ifndef PHASEPROF_FLAMEGRAPH_H
#define PHASEPROF_FLAMEGRAPH_H

#include <stdbool.h>
#include <stdio.h>

#define FLAME_DEFAULT_WIDTH 1200
#define FLAME_DEFAULT_FRAME_HEIGHT 16
#define FLAME_DEFAULT_MINWIDTH 0.1
#define FLAME_DEFAULT_FONTSIZE 12.0
#define FLAME_DEFAULT_FONTTYPE "Verdana"
#define FLAME_DEFAULT_COUNTNAME "samples"
#define FLAME_DEFAULT_NAMETYPE "Function:"

enum flame_palette {
	FLAME_PAL_HOT,
	FLAME_PAL_MEM,
	FLAME_PAL_IO,
	FLAME_PAL_JAVA,
	FLAME_PAL_JS,
	FLAME_PAL_WASM,
	FLAME_PAL_GREEN,
	FLAME_PAL_BLUE,
	FLAME_PAL_AQUA,
	FLAME_PAL_YELLOW,
	FLAME_PAL_PURPLE,
	FLAME_PAL_ORANGE,
	FLAME_PAL_RED,
	FLAME_PAL_NR,
};

struct flame_opts {
	const char *title;     /* NULL: "Flame Graph" (or "Differential Flame Graph") */
	const char *subtitle;  /* NULL: none */
	const char *countname; /* unit in tooltips: "samples" */
	const char *nametype;  /* label before a frame's details: "Function:" */
	const char *fonttype;
	const char *bgcolors;  /* yellow|blue|green|grey|#rgb|#rrggbb, NULL: by palette */
	int width;             /* image width, px */
	int frame_height;      /* px */
	double fontsize;
	/* frames narrower than this are left out: px, or percent of the total */
	double minwidth;
	bool minwidth_pct;
	enum flame_palette palette;
	bool hash;             /* colour by name hash: the same name, the same colour */
	bool reverse;          /* reverse each stack (leaf first) before merging */
	bool inverted;         /* icicle graph: root at the top */
	/* diff only */
	bool normalize;        /* scale A's counts to B's total (default true) */
	const char *label_a;   /* legend names of the two profiles */
	const char *label_b;
};

void flame_opts_init(struct flame_opts *opts);
/* "hot" ... "red" to a palette; -EINVAL if unknown */
int flame_palette_parse(const char *name, enum flame_palette *pal);

/* The colour of the phase's frames ("load", ...) as 0xRRGGBB, for pictures that
 * should match the flame graph's; -ENOENT for a name without one. */
int flame_phase_rgb(const char *phase, unsigned *rgb);

/* Render one or more folded files (NULL or "-": stdin), merged, as an SVG to out. */
int flame_render_file(const char *folded_path, FILE *out, const struct flame_opts *opts);
/* Render folded stacks held in memory: what a caller just wrote, never re-read by name. */
int flame_render_buffer(const char *buf, size_t len, FILE *out, const struct flame_opts *opts);
int flame_render_files(const char *const *paths, int nr_paths, FILE *out,
		       const struct flame_opts *opts);
/*
 * Differential flame graph of a_path (before) and b_path (after). If b_path
 * is NULL, a_path holds "stack COUNT_A COUNT_B" lines. With folded set, write
 * "stack COUNT_A COUNT_B" lines instead of an SVG.
 */
int flame_render_diff(const char *a_path, const char *b_path, FILE *out,
		      const struct flame_opts *opts, bool folded);
/* The same SVG from two folded texts in memory (A before, B after). */
int flame_render_diff_buffers(const char *a, size_t alen, const char *b, size_t blen, FILE *out,
			      const struct flame_opts *opts);

/* The verbs; argv[0] is the verb. They return an exit code (exitcodes.h). */
int cmd_flamegraph(int argc, char **argv);
/*
 * A default title for one folded file (0 when it gave one in buf), which
 * cmd_flamegraph_titled() uses when no --title is given: phaseprof names the
 * run the file came from.
 */
typedef int (*flame_title_fn)(const char *folded_path, char *buf, size_t len);
int cmd_flamegraph_titled(int argc, char **argv, flame_title_fn title_of);
int cmd_diff(int argc, char **argv);

#endif /* PHASEPROF_FLAMEGRAPH_H */
