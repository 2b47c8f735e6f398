// SPDX-License-Identifier: MIT
/*
 * test_flamegraph.c: folded-line parsing, merging into the trie, --reverse,
 * XML escaping, phase colours and the SVG's frame layout (--inverted).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fg_internal.h"
#include "phase_names.h"

static int add(struct fg_tree *t, const char *line)
{
	return fg_tree_add_line(t, line, strlen(line), FG_SLOT_A);
}

/* node at a ;-separated path from the root, 0 if missing */
static uint32_t find(const struct fg_tree *t, const char *path)
{
	char buf[256], *save = NULL, *tok;
	uint32_t id = FG_ROOT;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		id = fg_tree_child(t, id, tok);
		if (!id)
			return 0;
	}
	return id;
}

static uint64_t count_at(const struct fg_tree *t, const char *path)
{
	uint32_t id = find(t, path);

	return id ? t->nodes[id].count : 0;
}

static void test_parse_counts(void)
{
	uint64_t c[2];
	size_t n;

	CHECK_INT(fg_parse_counts("a;b 12", 6, 1, &n, c), 0);
	CHECK_INT(n, 3);
	CHECK_INT(c[0], 12);
	CHECK_INT(fg_parse_counts("a;b 12  \r", 9, 1, &n, c), 0);
	CHECK_INT(n, 3);
	CHECK_INT(c[0], 12);
	CHECK_INT(fg_parse_counts("a b;c d\t7", 9, 1, &n, c), 0);
	CHECK_INT(n, 7); /* frames may hold spaces: the count is the last token */
	CHECK_INT(fg_parse_counts("a;b 3 4", 7, 2, &n, c), 0);
	CHECK_INT(n, 3);
	CHECK_INT(c[0], 3);
	CHECK_INT(c[1], 4);
	CHECK(fg_parse_counts("a;b", 3, 1, &n, c) < 0);
	CHECK(fg_parse_counts("a;b x", 5, 1, &n, c) < 0);
	CHECK(fg_parse_counts("a;b12", 5, 1, &n, c) < 0);
	CHECK(fg_parse_counts("12", 2, 1, &n, c) < 0);
	CHECK(fg_parse_counts(" 12", 3, 1, &n, c) < 0);
	CHECK(fg_parse_counts("a;b -3", 6, 1, &n, c) < 0);
	CHECK(fg_parse_counts("a 99999999999999999999", 22, 1, &n, c) < 0);
	CHECK(fg_parse_counts("a;b 3", 5, 2, &n, c) < 0);
}

static void test_merge(void)
{
	struct fg_tree t;

	CHECK_INT(fg_tree_init(&t, false), 0);
	CHECK_INT(add(&t, "main;foo;bar 5"), 0);
	CHECK_INT(add(&t, "main;foo 2"), 0);
	CHECK_INT(add(&t, "main;foo;baz 3\r"), 0);
	CHECK_INT(add(&t, "main;qux 10   "), 0);
	CHECK_INT(add(&t, "main;foo;bar 1"), 0); /* same stack again: merged */
	CHECK_INT(add(&t, "garbage"), 1);
	CHECK_INT(add(&t, "main;nocount x"), 1);
	CHECK_INT(add(&t, ""), 1);
	CHECK_INT(add(&t, "# a comment"), 1);
	CHECK_INT(add(&t, "main;zero 0"), 0);
	CHECK_INT(t.skipped, 2); /* blank and comment lines are not counted as bad */
	CHECK_INT(t.nodes[FG_ROOT].count, 21);
	CHECK_INT(count_at(&t, "main"), 21);
	CHECK_INT(count_at(&t, "main;foo"), 11);
	CHECK_INT(count_at(&t, "main;foo;bar"), 6);
	CHECK_INT(count_at(&t, "main;foo;baz"), 3);
	CHECK_INT(count_at(&t, "main;qux"), 10);
	CHECK_INT(find(&t, "main;zero"), 0);
	CHECK_INT(fg_tree_self(&t, find(&t, "main;foo"), false), 2);
	CHECK_INT(t.nr_nodes, 6); /* all main foo bar baz qux */
	fg_tree_free(&t);
}

static void test_many_children(void)
{
	struct fg_tree t;
	char line[64];
	uint64_t sum = 0;

	/* enough to grow the name and child tables several times */
	CHECK_INT(fg_tree_init(&t, false), 0);
	for (int i = 0; i < 20000; i++) {
		snprintf(line, sizeof(line), "root;f%d;g%d %d", i % 5000, i % 7, i % 3 + 1);
		CHECK_INT(add(&t, line) == 0, 1);
		sum += i % 3 + 1;
	}
	CHECK_INT(count_at(&t, "root"), sum);
	/* f0 gets i = 0, 5000, 10000, 15000: g0 g2 g4 g6, counts 1 3 2 1 */
	CHECK_INT(count_at(&t, "root;f0"), 7);
	CHECK_INT(count_at(&t, "root;f0;g2"), 3);
	CHECK_INT(count_at(&t, "root;f0;g4"), 2);
	fg_tree_free(&t);
}

static void test_reverse(void)
{
	struct fg_tree t;

	CHECK_INT(fg_tree_init(&t, false), 0);
	t.reverse = true;
	add(&t, "main;foo;leaf 4");
	add(&t, "main;bar;leaf 6");
	CHECK_INT(count_at(&t, "leaf"), 10);
	CHECK_INT(count_at(&t, "leaf;foo;main"), 4);
	CHECK_INT(count_at(&t, "leaf;bar;main"), 6);
	CHECK_INT(find(&t, "main"), 0);
	fg_tree_free(&t);
}

static void test_diff_slots(void)
{
	struct fg_tree t;

	CHECK_INT(fg_tree_init(&t, true), 0);
	CHECK_INT(fg_tree_add_line(&t, "a;b 3 7", 7, FG_SLOT_AB), 0);
	CHECK_INT(fg_tree_add_line(&t, "a;c 5", 5, FG_SLOT_A), 0);
	CHECK_INT(fg_tree_add_line(&t, "a;c 1", 5, FG_SLOT_B), 0);
	CHECK_INT(t.nodes[find(&t, "a;b")].count, 3);
	CHECK_INT(t.count_b[find(&t, "a;b")], 7);
	CHECK_INT(t.nodes[find(&t, "a;c")].count, 5);
	CHECK_INT(t.count_b[find(&t, "a;c")], 1);
	CHECK_INT(t.count_b[FG_ROOT], 8);
	fg_tree_free(&t);
}

/* run fn over an fg_out writing to memory; returns the malloc'd text */
static char *capture(void (*fn)(struct fg_out *, void *), void *arg)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	struct fg_out o;

	fg_out_init(&o, f);
	fn(&o, arg);
	fg_out_finish(&o);
	fclose(f);
	return mem;
}

static void escape_fn(struct fg_out *o, void *arg)
{
	fg_out_escape(o, arg, strlen(arg));
}

static void escape_fit_fn(struct fg_out *o, void *arg)
{
	fg_out_escape_fit(o, arg, strlen(arg), 6);
}

static void test_escape(void)
{
	char *s;

	s = capture(escape_fn, "a<b>&\"c'");
	CHECK_STR(s, "a&lt;b&gt;&amp;&quot;c&apos;");
	free(s);
	s = capture(escape_fn, "ok\x01\xff\xc3(z");
	CHECK_STR(s, "ok\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(z");
	free(s);
	s = capture(escape_fn, "caf\xc3\xa9 \xe2\x82\xac");
	CHECK_STR(s, "caf\xc3\xa9 \xe2\x82\xac"); /* valid UTF-8 kept */
	free(s);
	s = capture(escape_fn, "\xed\xa0\x80"); /* a UTF-16 surrogate is not UTF-8 */
	CHECK_STR(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = capture(escape_fit_fn, "std::vector<int>");
	CHECK_STR(s, "std:..");
	free(s);
	s = capture(escape_fit_fn, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	CHECK_STR(s, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9..");
	free(s);
	CHECK_INT(fg_display_len("foo_[k]", 7), 3);
	CHECK_INT(fg_display_len("foo_[x]", 7), 7);
}

static void test_colors(void)
{
	struct fg_rgb a, b;
	enum flame_palette p;

	/* phase frames by enum pp_phase, run order; the fallback's unknown too */
	CHECK_INT(fg_phase_index("[startup]", 9), PP_PHASE_STARTUP);
	CHECK_INT(fg_phase_index("[compile]", 9), PP_PHASE_COMPILE);
	CHECK_INT(fg_phase_index("[unknown]", 9), PP_PHASE_UNKNOWN);
	CHECK_INT(fg_phase_index("[unknown frame]", 15), -1);
	CHECK_INT(fg_phase_index("[anon]", 6), -1);
	CHECK_INT(fg_phase_index("[]", 2), -1);
	CHECK_INT(fg_phase_index("compile", 7), -1);
	a = fg_frame_color(FLAME_PAL_HOT, "x", 1, 1234);
	b = fg_frame_color(FLAME_PAL_HOT, "x", 1, 1234);
	CHECK(a.r == b.r && a.g == b.g && a.b == b.b);
	CHECK(a.r >= 205);
	a = fg_diff_color(1);
	CHECK(a.r == 255 && a.g == 0 && a.b == 0);
	a = fg_diff_color(-0.5);
	CHECK(a.b == 255 && a.r < 200);
	a = fg_frame_color(FLAME_PAL_JAVA, "do_syscall_[k]", 14, 0);
	CHECK(a.b == 0 && a.r >= 190); /* kernel: orange */
	CHECK_INT(flame_palette_parse("wasm", &p), 0);
	CHECK_INT(p, FLAME_PAL_WASM);
	CHECK(flame_palette_parse("pink", &p) < 0);
}

struct render_arg {
	struct fg_tree *t;
	struct flame_opts *opts;
};

static void render_fn(struct fg_out *o, void *arg)
{
	struct render_arg *r = arg;

	fg_render_svg(r->t, o, r->opts, false);
}

/* the rect attribute attr of the frame whose title starts with name */
static double frame_attr(const char *svg, const char *name, const char *attr)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "<title>%s (", name);
	p = strstr(svg, key);
	if (!p)
		return -1;
	snprintf(key, sizeof(key), " %s=\"", attr);
	p = strstr(p, key);
	return p ? atof(p + strlen(key)) : -1;
}

static void test_layout(void)
{
	struct flame_opts opts;
	struct fg_tree t;
	struct render_arg r = { &t, &opts };
	char *svg;

	flame_opts_init(&opts);
	fg_tree_init(&t, false);
	add(&t, "p;[compile];b 30");
	add(&t, "p;[execute];a 70");
	add(&t, "p;tiny 0");
	svg = capture(render_fn, &r);
	CHECK(strstr(svg, "<title>all (100 samples, 100.00%)</title>") != NULL);
	CHECK(strstr(svg, "<title>[execute] (70 samples, 70.00%)</title>") != NULL);
	CHECK(strstr(svg, "fill=\"rgb(0,158,115)\"") != NULL); /* [compile]'s colour */
	/* 1180 px for 100 samples; [compile] sorts before [execute] */
	CHECK(frame_attr(svg, "[compile]", "width") == 354.0);
	CHECK(frame_attr(svg, "[execute]", "x") == 10 + 354.0);
	CHECK(frame_attr(svg, "b", "y") < frame_attr(svg, "p", "y"));
	free(svg);

	opts.inverted = true;
	svg = capture(render_fn, &r);
	CHECK(frame_attr(svg, "b", "y") > frame_attr(svg, "p", "y"));
	free(svg);

	/* frames under minwidth are left out, but keep their space */
	opts.inverted = false;
	opts.minwidth = 5;
	opts.minwidth_pct = true;
	add(&t, "p;[startup] 2"); /* placed first, before [compile] */
	svg = capture(render_fn, &r);
	CHECK(strstr(svg, "<title>[startup]") == NULL);
	CHECK(frame_attr(svg, "[compile]", "x") > 10 + 23.0);
	free(svg);
	fg_tree_free(&t);
}

/* phase frames in run order, whatever their names' order; then other frames by name */
static void test_phase_order(void)
{
	static const char *const order[] = { "[startup]", "[load]", "[compile]", "[instantiate]",
					     "[execute]", "[teardown]", "[unknown]", "aaa",
					     "zzz" };
	struct flame_opts opts;
	struct fg_tree t;
	struct render_arg r = { &t, &opts };
	char *svg;

	flame_opts_init(&opts);
	fg_tree_init(&t, false);
	for (int i = 8; i >= 0; i--) {
		char line[64];

		snprintf(line, sizeof(line), "p;%s;f%d 10", order[i], i);
		add(&t, line);
	}
	svg = capture(render_fn, &r);
	for (int i = 1; i < 9; i++)
		CHECK(frame_attr(svg, order[i - 1], "x") < frame_attr(svg, order[i], "x"));
	/* a phase has one colour, in every graph: [execute] and [unknown] as fixed */
	CHECK(strstr(svg, "fill=\"rgb(204,121,167)\"") != NULL);
	CHECK(strstr(svg, "fill=\"rgb(160,140,200)\"") != NULL);
	free(svg);
	fg_tree_free(&t);
}

/* a diff of two runtimes lines up by phase: the process frame is left out */
static void test_diff_by_phase(void)
{
	struct fg_tree t;

	fg_tree_init(&t, true);
	t.drop_process = true;
	fg_tree_add_line(&t, "node;[compile];a 10", 19, FG_SLOT_A);
	fg_tree_add_line(&t, "wasm-interp;[compile];a 30", 26, FG_SLOT_B);
	fg_tree_add_line(&t, "wasm-interp;main 5", 18, FG_SLOT_B);
	CHECK_INT(t.nodes[find(&t, "[compile];a")].count, 10);
	CHECK_INT(t.count_b[find(&t, "[compile];a")], 30);
	CHECK_INT(find(&t, "node"), 0);
	/* without a phase frame after it, the first frame is not a process to drop */
	CHECK(find(&t, "wasm-interp;main") != 0);
	fg_tree_free(&t);
}

int main(void)
{
	test_parse_counts();
	test_merge();
	test_many_children();
	test_reverse();
	test_diff_slots();
	test_escape();
	test_colors();
	test_layout();
	test_phase_order();
	test_diff_by_phase();
	return checks_report("test_flamegraph");
}
