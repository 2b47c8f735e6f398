// SPDX-License-Identifier: MIT
/*
 * cmd.c: the verbs `phaseprof flamegraph` and `phaseprof diff`, and the
 * library calls behind them. One option table per verb feeds getopt_long, --help
 * and the man page test.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "fg_internal.h"
#include "options.h"

enum { VERB_FLAME = 1, VERB_DIFF = 2 };

enum opt_id {
	OPT_HELP = 'h',
	OPT_TITLE = 256,
	OPT_SUBTITLE,
	OPT_WIDTH,
	OPT_HEIGHT,
	OPT_MINWIDTH,
	OPT_COLORS,
	OPT_HASH,
	OPT_REVERSE,
	OPT_INVERTED,
	OPT_COUNTNAME,
	OPT_NAMETYPE,
	OPT_FONTTYPE,
	OPT_FONTSIZE,
	OPT_BGCOLORS,
	OPT_FOLDED,
	OPT_NO_NORMALIZE,
};

/* the options both verbs take, in both tables */
#define FG_COMMON_OPTIONS(default_title)                                                        \
	{ "title", OPT_TITLE, "TEXT", "title (default " default_title ")" },                       \
	{ "subtitle", OPT_SUBTITLE, "TEXT", "second line under the title" },                    \
	{ "width", OPT_WIDTH, "PX", "image width (default " STRINGIFY(FLAME_DEFAULT_WIDTH) ")" }, \
	{ "height", OPT_HEIGHT, "PX",                                                           \
	  "frame height (default " STRINGIFY(FLAME_DEFAULT_FRAME_HEIGHT) ")" },                 \
	{ "minwidth", OPT_MINWIDTH, "PX|N%",                                                    \
	  "leave out frames narrower than PX pixels or N% of the total (default "               \
	  STRINGIFY(FLAME_DEFAULT_MINWIDTH) ")" },                                              \
	{ "colors", OPT_COLORS, "PALETTE",                                                      \
	  "hot (default), mem, io, java, js, wasm, green, blue, aqua, yellow, purple, orange, " \
	  "red; java/js/wasm colour by the _[k] _[j] _[i] frame suffixes" },                    \
	{ "hash", OPT_HASH, NULL, "colour by name hash: a name keeps its colour" },             \
	{ "reverse", OPT_REVERSE, NULL, "reverse each stack before merging" },                  \
	{ "inverted", OPT_INVERTED, NULL, "icicle graph: root at the top" },                    \
	{ "countname", OPT_COUNTNAME, "NAME",                                                   \
	  "what counts count (default \"" FLAME_DEFAULT_COUNTNAME "\")" },                      \
	{ "nametype", OPT_NAMETYPE, "TEXT",                                                     \
	  "label before a frame's details (default \"" FLAME_DEFAULT_NAMETYPE "\")" },          \
	{ "fonttype", OPT_FONTTYPE, "FONT", "font family (default " FLAME_DEFAULT_FONTTYPE ")" }, \
	{ "fontsize", OPT_FONTSIZE, "SIZE",                                                     \
	  "font size (default " STRINGIFY(FLAME_DEFAULT_FONTSIZE) ")" },                        \
	{ "bgcolors", OPT_BGCOLORS, "COLOR",                                                    \
	  "background: yellow, blue, green, grey or #rrggbb (default by palette)" }

/* One table per verb feeds getopt_long, --help and the man page test. */
static const struct opt_doc flame_options[] = {
	FG_COMMON_OPTIONS("for one DIR/stacks.folded with DIR/phases.json beside it: the run's "
			  "runtime, version, app and date; else \"Flame Graph\""),
	{ "help", OPT_HELP, NULL, "show this help" },
	{ 0 },
};

static const struct opt_doc diff_options[] = {
	FG_COMMON_OPTIONS("\"Differential Flame Graph\""),
	{ "folded", OPT_FOLDED, NULL, "print 'stack COUNT_A COUNT_B' lines instead of an SVG" },
	{ "no-normalize", OPT_NO_NORMALIZE, NULL,
	  "compare raw counts instead of scaling A to B's total" },
	{ "help", OPT_HELP, NULL, "show this help" },
	{ 0 },
};

static const char flame_usage[] =
	"usage: phaseprof flamegraph [OPTION...] [FILE.folded...] > out.svg\n"
	"\n"
	"Render folded stacks ('frame;frame;...;frame COUNT' lines, outermost frame first;\n"
	"stdin when no FILE or '-') as an interactive SVG flame graph: hover for details,\n"
	"click to zoom, Search or Ctrl-F to highlight frames matching a regular expression.\n"
	"Phase frames ([startup] [load] [compile] [instantiate] [execute] [teardown],\n"
	"then [unknown]) come in run order, each in its own colour; other frames in name\n"
	"order. The SVG goes to standard output, which must not be a terminal.\n";

static const char flame_examples[] =
	"examples:\n"
	"  phaseprof flamegraph out/stacks.folded > out.svg\n"
	"  phaseprof flamegraph --colors wasm --title 'wasmtime fib' a.folded b.folded > ab.svg\n"
	"  phaseprof flamegraph --inverted --minwidth 0.5% < stacks.folded > icicle.svg\n";

static const char diff_usage[] =
	"usage: phaseprof diff [OPTION...] A.folded B.folded > diff.svg\n"
	"       phaseprof diff [OPTION...] AB.folded > diff.svg\n"
	"\n"
	"Differential flame graph of profile A (before) and B (after): frames shaped by B,\n"
	"coloured by B minus A with A scaled to B's total: red where B spends more, blue\n"
	"where it spends less, deeper colour for bigger changes. AB.folded holds\n"
	"'stack COUNT_A COUNT_B' lines. A stack that starts 'process;[phase];...' is\n"
	"compared without its process frame, so two runtimes line up phase by phase.\n";

static const char diff_examples[] =
	"examples:\n"
	"  phaseprof diff node/stacks.folded wasm-interp/stacks.folded > diff.svg\n"
	"  phaseprof diff --folded before/stacks.folded after/stacks.folded > diff.folded\n";

static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out, bool *pct)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (pct) {
		*pct = *end == '%';
		if (*pct)
			end++;
	}
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -EINVAL;
	*out = v;
	return 0;
}

static bool is_color(const char *s)
{
	static const char *const named[] = { "yellow", "blue", "green", "grey", "gray" };
	size_t n;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (!strcmp(s, named[i]))
			return true;
	}
	if (s[0] != '#')
		return false;
	n = strspn(s + 1, "0123456789abcdefABCDEF");
	return !s[1 + n] && (n == 3 || n == 6);
}

struct cmdline {
	struct flame_opts opts;
	bool folded;
	bool help;
};

static int bad_value(const char *verb, const char *opt, const char *val, const char *want)
{
	fg_err("%s: invalid --%s '%s': want %s; see 'phaseprof %s --help'", verb, opt, val, want,
	       verb);
	return -EINVAL;
}

static int apply_option(struct cmdline *c, const char *verb, int id, char *arg)
{
	struct flame_opts *o = &c->opts;

	switch (id) {
	case OPT_TITLE: o->title = arg; break;
	case OPT_SUBTITLE: o->subtitle = arg; break;
	case OPT_COUNTNAME: o->countname = arg; break;
	case OPT_NAMETYPE: o->nametype = arg; break;
	case OPT_FONTTYPE: o->fonttype = arg; break;
	case OPT_HASH: o->hash = true; break;
	case OPT_REVERSE: o->reverse = true; break;
	case OPT_INVERTED: o->inverted = true; break;
	case OPT_FOLDED: c->folded = true; break;
	case OPT_NO_NORMALIZE: o->normalize = false; break;
	case OPT_HELP: c->help = true; break;
	case OPT_WIDTH:
		if (parse_int(arg, 50, 1000000, &o->width))
			return bad_value(verb, "width", arg, "pixels from 50");
		break;
	case OPT_HEIGHT:
		if (parse_int(arg, 2, 1000, &o->frame_height))
			return bad_value(verb, "height", arg, "pixels from 2 to 1000");
		break;
	case OPT_FONTSIZE:
		if (parse_double(arg, 1, 200, &o->fontsize, NULL))
			return bad_value(verb, "fontsize", arg, "a size from 1 to 200");
		break;
	case OPT_MINWIDTH:
		if (parse_double(arg, 0, 1e9, &o->minwidth, &o->minwidth_pct))
			return bad_value(verb, "minwidth", arg, "pixels or a percent like 0.5%");
		break;
	case OPT_COLORS:
		if (flame_palette_parse(arg, &o->palette))
			return bad_value(verb, "colors", arg, "hot, mem, io, java, js, wasm, green, "
				"blue, aqua, yellow, purple, orange or red");
		break;
	case OPT_BGCOLORS:
		if (!is_color(arg))
			return bad_value(verb, "bgcolors", arg, "yellow, blue, green, grey or #rrggbb");
		o->bgcolors = arg;
		break;
	}
	return 0;
}

/* with no verb name, options_parse hands -h, ':' and '?' here */
static int flame_option(int id, void *ctx, char **argv)
{
	if (id == '?' || id == ':') {
		const char *bad = argv[optind - 1];

		if (id == ':')
			fg_err("%s: option '%s' needs a value; see 'phaseprof %s --help'", argv[0],
			       bad, argv[0]);
		else if (optopt && optopt < 256)
			fg_err("%s: unknown option '-%c'; see 'phaseprof %s --help'", argv[0], optopt,
			       argv[0]);
		else
			fg_err("%s: unknown option '%s'; see 'phaseprof %s --help'", argv[0], bad,
			       argv[0]);
		return -EINVAL;
	}
	return apply_option(ctx, argv[0], id, optarg) ? -EINVAL : 0;
}

static int parse_cmdline(int argc, char **argv, unsigned verb, struct cmdline *c)
{
	const struct opt_verb v = { .docs = verb == VERB_DIFF ? diff_options : flame_options,
				    .order = '+' };
	bool done;

	flame_opts_init(&c->opts);
	return options_parse(argc, argv, &v, flame_option, c, &done);
}

/* An SVG on a terminal is a screenful of markup: say where it should go instead. */
static int refuse_terminal(const char *verb, const char *example)
{
	if (!isatty(STDOUT_FILENO))
		return 0;
	fg_err("%s: not writing SVG to a terminal; redirect it to a file: %s", verb, example);
	return -ENOTTY;
}

void flame_opts_init(struct flame_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->countname = FLAME_DEFAULT_COUNTNAME;
	o->nametype = FLAME_DEFAULT_NAMETYPE;
	o->fonttype = FLAME_DEFAULT_FONTTYPE;
	o->width = FLAME_DEFAULT_WIDTH;
	o->frame_height = FLAME_DEFAULT_FRAME_HEIGHT;
	o->fontsize = FLAME_DEFAULT_FONTSIZE;
	o->minwidth = FLAME_DEFAULT_MINWIDTH;
	o->palette = FLAME_PAL_HOT;
	o->normalize = true;
}

/* every line malformed: more likely the wrong file than an empty profile */
static int check_input(const struct fg_tree *t)
{
	if (t->skipped && !t->nodes[FG_ROOT].count && (!t->count_b || !t->count_b[FG_ROOT])) {
		fg_err("no line reads as folded stacks ('stack count'); is the input a folded file?");
		return -EINVAL;
	}
	return 0;
}

static int finish_output(struct fg_out *o, int err)
{
	int werr = fg_out_finish(o);

	if (!err && werr) {
		fg_err("cannot write the output: %s", strerror(-werr));
		return werr;
	}
	if (err == -ENOMEM)
		fg_err("cannot render: out of memory");
	return err;
}

/* An empty tree (a diff's when diff) laid out as opts asks; 0 or -ENOMEM, said. */
static int tree_start(struct fg_tree *t, bool diff, const struct flame_opts *opts)
{
	int err = fg_tree_init(t, diff);

	if (err) {
		fg_err("cannot render: out of memory");
		return err;
	}
	t->reverse = opts->reverse;
	return 0;
}

/* The tree filled (or err from filling it) drawn as one SVG; the tree freed. */
static int render_tree(struct fg_tree *t, int err, FILE *out, const struct flame_opts *opts)
{
	struct fg_out o;

	if (!err)
		err = check_input(t);
	if (!err && fg_out_init(&o, out)) {
		fg_err("cannot render: out of memory");
		err = -ENOMEM;
	} else if (!err) {
		err = finish_output(&o, fg_render_svg(t, &o, opts, false));
	}
	fg_tree_free(t);
	return err;
}

int flame_render_files(const char *const *paths, int nr_paths, FILE *out,
		       const struct flame_opts *opts)
{
	static const char *const dash[] = { "-" };
	struct fg_tree t;
	int err;

	if (!nr_paths) {
		paths = dash;
		nr_paths = 1;
	}
	err = tree_start(&t, false, opts);
	if (err)
		return err;
	for (int i = 0; i < nr_paths && !err; i++)
		err = fg_tree_add_path(&t, paths[i], FG_SLOT_A);
	return render_tree(&t, err, out, opts);
}

int flame_render_buffer(const char *buf, size_t len, FILE *out, const struct flame_opts *opts)
{
	struct fg_tree t;
	int err = tree_start(&t, false, opts);

	if (err)
		return err;
	err = fg_tree_add_buffer(&t, buf, len, FG_SLOT_A);
	return render_tree(&t, err, out, opts);
}

int flame_render_file(const char *folded_path, FILE *out, const struct flame_opts *opts)
{
	return flame_render_files(&folded_path, 1, out, opts);
}

/* Render (or fold) a diff tree whose inputs are read (err: how reading went); frees t. */
static int render_diff_tree(struct fg_tree *t, int err, FILE *out, const struct flame_opts *opts,
			    bool folded)
{
	struct fg_out o;

	if (!err)
		err = check_input(t);
	if (!err && !t->nodes[FG_ROOT].count)
		fg_warn("diff: profile A has no samples; every frame counts as new");
	if (!err && !t->count_b[FG_ROOT])
		fg_warn("diff: profile B has no samples; the graph is shaped by B, so it is empty");
	if (!err && fg_out_init(&o, out)) {
		fg_err("cannot render: out of memory");
		err = -ENOMEM;
	} else if (!err) {
		err = folded ? fg_write_diff_folded(t, &o, opts->normalize) :
			       fg_render_svg(t, &o, opts, true);
		err = finish_output(&o, err);
	}
	fg_tree_free(t);
	return err;
}

int flame_render_diff(const char *a_path, const char *b_path, FILE *out,
		      const struct flame_opts *opts, bool folded)
{
	struct fg_tree t;
	int err;

	err = tree_start(&t, true, opts);
	if (err)
		return err;
	/* two runtimes' process frames differ; their phases are what compare */
	t.drop_process = true;
	if (b_path) {
		err = fg_tree_add_path(&t, a_path, FG_SLOT_A);
		if (!err)
			err = fg_tree_add_path(&t, b_path, FG_SLOT_B);
	} else {
		err = fg_tree_add_path(&t, a_path, FG_SLOT_AB);
	}
	return render_diff_tree(&t, err, out, opts, folded);
}

int flame_render_diff_buffers(const char *a, size_t alen, const char *b, size_t blen, FILE *out,
			      const struct flame_opts *opts)
{
	struct fg_tree t;
	int err = tree_start(&t, true, opts);

	if (err)
		return err;
	err = fg_tree_add_buffer(&t, a, alen, FG_SLOT_A);
	if (!err)
		err = fg_tree_add_buffer(&t, b, blen, FG_SLOT_B);
	return render_diff_tree(&t, err, out, opts, false);
}

int cmd_flamegraph_titled(int argc, char **argv, flame_title_fn title_of)
{
	struct cmdline c = { 0 };
	char title[512];

	if (parse_cmdline(argc, argv, VERB_FLAME, &c))
		return PP_EXIT_USAGE;
	/* one file: a title from what it is a profile of, when the caller knows */
	if (!c.opts.title && title_of && argc - optind == 1 && strcmp(argv[optind], "-") &&
	    !title_of(argv[optind], title, sizeof(title)))
		c.opts.title = title;
	if (c.help) {
		options_help(stdout, flame_usage, flame_options, flame_examples);
		return PP_EXIT_OK;
	}
	if (refuse_terminal("flamegraph", "phaseprof flamegraph FILE.folded > out.svg"))
		return PP_EXIT_USAGE;
	if (flame_render_files((const char *const *)argv + optind, argc - optind, stdout, &c.opts))
		return PP_EXIT_FAILURE;
	return PP_EXIT_OK;
}

int cmd_flamegraph(int argc, char **argv)
{
	return cmd_flamegraph_titled(argc, argv, NULL);
}

int cmd_diff(int argc, char **argv)
{
	struct cmdline c = { 0 };
	int nr;

	if (parse_cmdline(argc, argv, VERB_DIFF, &c))
		return PP_EXIT_USAGE;
	if (c.help) {
		options_help(stdout, diff_usage, diff_options, diff_examples);
		return PP_EXIT_OK;
	}
	nr = argc - optind;
	if (nr < 1 || nr > 2) {
		fg_err("diff: want two folded files (A, then B) or one with two counts a line, not %d; "
		       "see 'phaseprof diff --help'", nr);
		return PP_EXIT_USAGE;
	}
	if (!c.folded && refuse_terminal("diff", "phaseprof diff A.folded B.folded > diff.svg"))
		return PP_EXIT_USAGE;
	c.opts.label_a = nr == 2 ? argv[optind] : "COUNT_A";
	c.opts.label_b = nr == 2 ? argv[optind + 1] : "COUNT_B";
	if (flame_render_diff(argv[optind], nr == 2 ? argv[optind + 1] : NULL, stdout, &c.opts,
			      c.folded))
		return PP_EXIT_FAILURE;
	return PP_EXIT_OK;
}
