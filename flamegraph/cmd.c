// SPDX-License-Identifier: MIT
/*
 * cmd.c: the verbs `phaseprof flamegraph` and `phaseprof diff`, and the
 * library calls behind them. One option table feeds getopt_long and --help.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "fg_internal.h"

#define STR_(x) #x
#define STR(x) STR_(x)

enum { VERB_FLAME = 1, VERB_DIFF = 2, VERB_BOTH = 3 };

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

struct fg_option {
	const char *name;
	int id;
	const char *arg; /* NULL: takes no argument */
	unsigned verbs;
	const char *help;
};

static const struct fg_option options[] = {
	{ "title", OPT_TITLE, "TEXT", VERB_BOTH,
	  "title (default \"Flame Graph\", \"Differential Flame Graph\")" },
	{ "subtitle", OPT_SUBTITLE, "TEXT", VERB_BOTH, "second line under the title" },
	{ "width", OPT_WIDTH, "PX", VERB_BOTH,
	  "image width (default " STR(FLAME_DEFAULT_WIDTH) ")" },
	{ "height", OPT_HEIGHT, "PX", VERB_BOTH,
	  "frame height (default " STR(FLAME_DEFAULT_FRAME_HEIGHT) ")" },
	{ "minwidth", OPT_MINWIDTH, "PX|N%", VERB_BOTH,
	  "leave out frames narrower than PX pixels or N% of the total (default "
	  STR(FLAME_DEFAULT_MINWIDTH) ")" },
	{ "colors", OPT_COLORS, "PALETTE", VERB_BOTH,
	  "hot (default), mem, io, java, js, wasm, green, blue, aqua, yellow, purple, orange, "
	  "red; java/js/wasm colour by the _[k] _[j] _[i] frame suffixes" },
	{ "hash", OPT_HASH, NULL, VERB_BOTH, "colour by name hash: a name keeps its colour" },
	{ "reverse", OPT_REVERSE, NULL, VERB_BOTH, "reverse each stack before merging" },
	{ "inverted", OPT_INVERTED, NULL, VERB_BOTH, "icicle graph: root at the top" },
	{ "countname", OPT_COUNTNAME, "NAME", VERB_BOTH,
	  "what counts count (default \"" FLAME_DEFAULT_COUNTNAME "\")" },
	{ "nametype", OPT_NAMETYPE, "TEXT", VERB_BOTH,
	  "label before a frame's details (default \"" FLAME_DEFAULT_NAMETYPE "\")" },
	{ "fonttype", OPT_FONTTYPE, "FONT", VERB_BOTH,
	  "font family (default " FLAME_DEFAULT_FONTTYPE ")" },
	{ "fontsize", OPT_FONTSIZE, "SIZE", VERB_BOTH,
	  "font size (default " STR(FLAME_DEFAULT_FONTSIZE) ")" },
	{ "bgcolors", OPT_BGCOLORS, "COLOR", VERB_BOTH,
	  "background: yellow, blue, green, grey or #rrggbb (default by palette)" },
	{ "folded", OPT_FOLDED, NULL, VERB_DIFF,
	  "print 'stack COUNT_A COUNT_B' lines instead of an SVG" },
	{ "no-normalize", OPT_NO_NORMALIZE, NULL, VERB_DIFF,
	  "compare raw counts instead of scaling A to B's total" },
	{ "help", OPT_HELP, NULL, VERB_BOTH, "show this help" },
};

#define NR_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char flame_usage[] =
	"usage: phaseprof flamegraph [OPTION...] [FILE.folded...] > out.svg\n"
	"\n"
	"Render folded stacks ('frame;frame;...;frame COUNT' lines, outermost frame first;\n"
	"stdin when no FILE or '-') as an interactive SVG flame graph: hover for details,\n"
	"click to zoom, Search or Ctrl-F to highlight frames matching a regular expression.\n";

static const char flame_examples[] =
	"\nEXAMPLES\n"
	"  phaseprof flamegraph run/profile.folded > run.svg\n"
	"  phaseprof flamegraph --colors wasm --title 'wasmtime fib' a.folded b.folded > ab.svg\n"
	"  phaseprof flamegraph --inverted --minwidth 0.5% < profile.folded > icicle.svg\n";

static const char diff_usage[] =
	"usage: phaseprof diff [OPTION...] A.folded B.folded > diff.svg\n"
	"       phaseprof diff [OPTION...] AB.folded > diff.svg\n"
	"\n"
	"Differential flame graph of profile A (before) and B (after): frames shaped by B,\n"
	"coloured by B minus A with A scaled to B's total: red where B spends more, blue\n"
	"where it spends less, deeper colour for bigger changes. AB.folded holds\n"
	"'stack COUNT_A COUNT_B' lines.\n";

static const char diff_examples[] =
	"\nEXAMPLES\n"
	"  phaseprof diff before/profile.folded after/profile.folded > diff.svg\n"
	"  phaseprof diff --folded before.folded after.folded > diff.folded\n";

static void print_help(unsigned verb)
{
	char left[64];

	fputs(verb == VERB_DIFF ? diff_usage : flame_usage, stdout);
	fputs("\nOPTIONS\n", stdout);
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		if (!(options[i].verbs & verb))
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", options[i].name, options[i].arg ? " " : "",
			 options[i].arg ? options[i].arg : "");
		printf("  %-22s %s\n", left, options[i].help);
	}
	fputs(verb == VERB_DIFF ? diff_examples : flame_examples, stdout);
}

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

static int parse_cmdline(int argc, char **argv, unsigned verb, struct cmdline *c)
{
	struct option longopts[NR_OPTIONS + 1];
	size_t n = 0;
	int id;

	memset(longopts, 0, sizeof(longopts));
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		if (!(options[i].verbs & verb))
			continue;
		longopts[n++] = (struct option){ options[i].name,
						  options[i].arg ? required_argument : no_argument,
						  NULL, options[i].id };
	}
	flame_opts_init(&c->opts);
	optind = 0;
	opterr = 0;
	while ((id = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (id == '?' || id == ':') {
			const char *bad = argv[optind - 1];

			if (optopt && optopt != '?' && optopt < 256)
				fg_err("%s: unknown option '-%c'; see 'phaseprof %s --help'", argv[0],
				       optopt, argv[0]);
			else
				fg_err("%s: unknown option or missing value: '%s'; see 'phaseprof %s --help'",
				       argv[0], bad, argv[0]);
			return -EINVAL;
		}
		if (apply_option(c, argv[0], id, optarg))
			return -EINVAL;
	}
	return 0;
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

int flame_render_files(const char *const *paths, int nr_paths, FILE *out,
		       const struct flame_opts *opts)
{
	static const char *const dash[] = { "-" };
	struct fg_tree t;
	struct fg_out o;
	int err;

	if (!nr_paths) {
		paths = dash;
		nr_paths = 1;
	}
	err = fg_tree_init(&t, false);
	if (err) {
		fg_err("cannot render: out of memory");
		return err;
	}
	t.reverse = opts->reverse;
	for (int i = 0; i < nr_paths && !err; i++)
		err = fg_tree_add_path(&t, paths[i], FG_SLOT_A);
	if (!err)
		err = check_input(&t);
	if (!err && fg_out_init(&o, out)) {
		fg_err("cannot render: out of memory");
		err = -ENOMEM;
	} else if (!err) {
		err = finish_output(&o, fg_render_svg(&t, &o, opts, false));
	}
	fg_tree_free(&t);
	return err;
}

int flame_render_buffer(const char *buf, size_t len, FILE *out, const struct flame_opts *opts)
{
	struct fg_tree t;
	struct fg_out o;
	int err = fg_tree_init(&t, false);

	if (err) {
		fg_err("cannot render: out of memory");
		return err;
	}
	t.reverse = opts->reverse;
	err = fg_tree_add_buffer(&t, buf, len, FG_SLOT_A);
	if (!err)
		err = check_input(&t);
	if (!err && fg_out_init(&o, out)) {
		fg_err("cannot render: out of memory");
		err = -ENOMEM;
	} else if (!err) {
		err = finish_output(&o, fg_render_svg(&t, &o, opts, false));
	}
	fg_tree_free(&t);
	return err;
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

	err = fg_tree_init(&t, true);
	if (err) {
		fg_err("cannot render: out of memory");
		return err;
	}
	t.reverse = opts->reverse;
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
	int err = fg_tree_init(&t, true);

	if (err) {
		fg_err("cannot render: out of memory");
		return err;
	}
	t.reverse = opts->reverse;
	err = fg_tree_add_buffer(&t, a, alen, FG_SLOT_A);
	if (!err)
		err = fg_tree_add_buffer(&t, b, blen, FG_SLOT_B);
	return render_diff_tree(&t, err, out, opts, false);
}

int cmd_flamegraph(int argc, char **argv)
{
	struct cmdline c = { 0 };

	if (parse_cmdline(argc, argv, VERB_FLAME, &c))
		return PP_EXIT_USAGE;
	if (c.help) {
		print_help(VERB_FLAME);
		return PP_EXIT_OK;
	}
	if (flame_render_files((const char *const *)argv + optind, argc - optind, stdout, &c.opts))
		return PP_EXIT_FAILURE;
	return PP_EXIT_OK;
}

int cmd_diff(int argc, char **argv)
{
	struct cmdline c = { 0 };
	int nr;

	if (parse_cmdline(argc, argv, VERB_DIFF, &c))
		return PP_EXIT_USAGE;
	if (c.help) {
		print_help(VERB_DIFF);
		return PP_EXIT_OK;
	}
	nr = argc - optind;
	if (nr < 1 || nr > 2) {
		fg_err("diff: want two folded files (A, then B) or one with two counts a line, not %d; "
		       "see 'phaseprof diff --help'", nr);
		return PP_EXIT_USAGE;
	}
	c.opts.label_a = nr == 2 ? argv[optind] : "COUNT_A";
	c.opts.label_b = nr == 2 ? argv[optind + 1] : "COUNT_B";
	if (flame_render_diff(argv[optind], nr == 2 ? argv[optind + 1] : NULL, stdout, &c.opts,
			      c.folded))
		return PP_EXIT_FAILURE;
	return PP_EXIT_OK;
}
