// SPDX-License-Identifier: MIT
/*
 * cmd_resolve.c: `phaseprof resolve`, the symbol engine on the command line.
 * Shows what a probe spec resolves to (vaddr, file offset, size, name, as
 * `perf probe -F` lists functions) and names addresses, in plain text or JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PR_DOMAIN "resolve"
#include "cmdutil.h"
#include "commands.h"
#include "exitcodes.h"
#include "json.h"
#include "log.h"
#include "options.h"
#include "runtime.h"
#include "syms.h"

#define MAX_SUGGEST 5

struct resolve_opts {
	const char *binary;
	const char **debuginfo;
	size_t ndebuginfo;
	const char *build_id;
	const char *inputs_from;
	bool json;
};

/* One table feeds getopt_long(), --help and the man page test. */
static const struct opt_doc resolve_options[] = {
	{ "exe", 'x', "BINARY",
	  "the ELF file to read: a name on PATH or a path (required)" },
	{ "debuginfo", 'd', "DIR",
	  "look for debug files in DIR first (DIR/.build-id/xx/rest.debug); repeatable" },
	{ "json", 'j', NULL, "print a JSON array, one object per match" },
	{ "build-id", 'b', "HEX", "the build-id BINARY must have; needed for raw 0xADDR probe specs" },
	{ "inputs-from", 'i', "FILE", "read more SPECs and ADDRs from FILE, one a line ('-' for stdin)" },
	{ "verbose", 'v', NULL, "say more on stderr" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char resolve_usage[] =
	"usage: phaseprof resolve -x BINARY [--debuginfo DIR]... [--json] "
	"[--build-id HEX] [--inputs-from FILE] [SPEC|ADDR]...\n\n"
	"List the functions a probe SPEC resolves to, or name an ADDR (0x hex vaddr).\n"
	"With neither, list every function of BINARY.\n\n"
	"SPEC: a glob on demangled function names without parameters (* ? [...]); it\n"
	"matches inside template arguments only when it has a '<' itself; a glob on the\n"
	"full signature when it has a '('; an exact symbol-table (mangled) name; NAME+OFF.\n"
	"Compiler clones (.part.N .constprop.N .isra.N .lto_priv.N) match their base\n"
	"name; .cold fragments never match.\n";

static const char resolve_examples[] =
	"examples:\n"
	"  phaseprof resolve -x node 'v8::internal::wasm::*Compile*'\n"
	"  phaseprof resolve -x ./wasm3 CompileFunction        # and its .part.N clones\n"
	"  phaseprof resolve -x /usr/bin/node --json 0x17a6d90\n"
	"  phaseprof resolve -x app --debuginfo ./dbg --inputs-from addrs.txt\n"
	"\n"
	"exit status: 0 all found, 64 usage, 66 a SPEC matches nothing or no symbols,\n"
	"127 BINARY not found, 126 not ELF, 125 other failure (see phaseprof(1))\n";

static int resolve_option(int c, void *ctx, char **argv)
{
	struct resolve_opts *o = ctx;

	(void)argv;
	switch (c) {
	case 'x':
		o->binary = optarg;
		break;
	case 'd': {
		const char **p = realloc(o->debuginfo, (o->ndebuginfo + 1) * sizeof(*p));

		if (!p)
			return PP_EXIT_FAILURE;
		p[o->ndebuginfo++] = optarg;
		o->debuginfo = p;
		break;
	}
	case 'j':
		o->json = true;
		break;
	case 'b':
		o->build_id = optarg;
		break;
	case 'i':
		o->inputs_from = optarg;
		break;
	case 'v':
		log_verbosity++;
		break;
	}
	return 0;
}

/* 0 to go on, or an exit code (PP_EXIT_OK after --help, with *done set) */
static int parse_args(int argc, char **argv, struct resolve_opts *o, bool *done)
{
	/* order 0: getopt permutes, options may follow the SPECs */
	static const struct opt_verb v = { "resolve", resolve_usage, resolve_options,
					   resolve_examples, 0 };
	int ret = options_parse(argc, argv, &v, resolve_option, o, done);

	if (ret || *done)
		return ret;
	if (!o->binary)
		return cmd_usage_error("resolve", "%smissing -x BINARY", "");
	return 0;
}

/*
 * -x as every verb takes it: a name without '/' is looked up on PATH. Unlike
 * a runtime, BINARY may be a library, so it is not checked to be executable.
 */
static int locate_binary(const char *spec, char *path, size_t len)
{
	int ret;

	if (strchr(spec, '/')) {
		snprintf(path, len, "%s", spec);
		return 0;
	}
	ret = runtime_locate(spec, path, len);
	if (!ret)
		return 0;
	if (ret == -ENOENT) {
		pr_err("cannot find '%s': not on PATH; give its path (./%s for one here)", spec,
		       spec);
		return PP_EXIT_NOT_FOUND;
	}
	pr_err("cannot use '%s': %s", spec, strerror(-ret));
	return PP_EXIT_FAILURE;
}

static bool is_addr(const char *s)
{
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return false;
	return strspn(s + 2, "0123456789abcdefABCDEF") == strlen(s + 2);
}

static const char *basename_of(const char *path)
{
	const char *p = strrchr(path, '/');

	return p ? p + 1 : path;
}

struct out {
	struct json j;
	bool json;
	bool header_done; /* plain output: the column header went out */
	const struct syms *syms;
};

static void print_sym(struct out *o, const char *input, const struct sym *s)
{
	if (!o->json) {
		if (!o->header_done)
			printf("%-18s %-10s %8s %s\n", "vaddr", "offset", "size",
			       "function  [source file]");
		o->header_done = true;
		printf("0x%016" PRIx64 " 0x%08" PRIx64 " %8" PRIu64 " %s", s->vaddr, s->file_offset,
		       s->size, s->demangled);
		if (s->source_file)
			printf("  [%s]", s->source_file);
		putchar('\n');
		return;
	}
	json_begin_object(&o->j, NULL);
	json_string(&o->j, "input", input);
	json_string(&o->j, "name", s->demangled);
	json_string(&o->j, "symbol", s->name);
	json_hex(&o->j, "vaddr", s->vaddr);
	json_hex(&o->j, "file_offset", s->file_offset);
	json_u64(&o->j, "size", s->size);
	json_bool(&o->j, "local", s->is_local);
	json_string(&o->j, "source_file", s->source_file);
	json_string(&o->j, "module", syms__path(o->syms));
	json_end_object(&o->j);
}

static void print_failure(struct out *o, const char *input, const char *msg)
{
	const char *names[MAX_SUGGEST];
	size_t n = is_addr(input) ? 0 : syms__suggest(o->syms, input, names, MAX_SUGGEST);

	if (!o->json) {
		char hint[1024] = "";
		size_t off = 0;

		for (size_t i = 0; i < n && off < sizeof(hint); i++)
			off += snprintf(hint + off, sizeof(hint) - off, "%s'%s'",
					i ? ", " : "; did you mean ", names[i]);
		pr_err("cannot resolve '%s' in '%s': %s%s", input, syms__path(o->syms), msg, hint);
		return;
	}
	json_begin_object(&o->j, NULL);
	json_string(&o->j, "input", input);
	json_string(&o->j, "name", NULL);
	json_string(&o->j, "module", syms__path(o->syms));
	json_string(&o->j, "error", msg);
	json_begin_array(&o->j, "suggestions");
	for (size_t i = 0; i < n; i++)
		json_string(&o->j, NULL, names[i]);
	json_end_array(&o->j);
	json_end_object(&o->j);
}

static int name_addr(struct out *o, const char *input)
{
	uint64_t vaddr = strtoull(input, NULL, 16), off = 0;
	const struct sym *s = syms__find(o->syms, vaddr, &off);

	if (!o->json) {
		if (s && off)
			printf("%s %s+0x%" PRIx64 "\n", input, s->demangled, off);
		else if (s)
			printf("%s %s\n", input, s->demangled);
		else
			printf("%s [%s+0x%" PRIx64 "]\n", input, basename_of(syms__path(o->syms)),
			       vaddr);
		return 0;
	}
	json_begin_object(&o->j, NULL);
	json_string(&o->j, "input", input);
	json_string(&o->j, "name", s ? s->demangled : NULL);
	json_string(&o->j, "symbol", s ? s->name : NULL);
	json_hex(&o->j, "vaddr", s ? s->vaddr : vaddr);
	json_hex(&o->j, "file_offset", s ? s->file_offset : vaddr);
	json_u64(&o->j, "size", s ? s->size : 0);
	json_u64(&o->j, "offset", off);
	json_string(&o->j, "module", syms__path(o->syms));
	json_end_object(&o->j);
	return 0;
}

/* One SPEC or ADDR; returns an exit code. */
static int resolve_one(struct out *o, const char *input, const char *build_id)
{
	const struct sym **v = NULL;
	char err[1024];
	size_t n = 0;
	int ret;

	if (is_addr(input))
		return name_addr(o, input);
	ret = syms__resolve(o->syms, input, build_id, &v, &n, err, sizeof(err));
	if (ret) {
		print_failure(o, input, err);
		return ret == -EINVAL || ret == -EPERM ? PP_EXIT_USAGE : PP_EXIT_FAILURE;
	}
	if (!n) {
		print_failure(o, input, "no function matches");
		return PP_EXIT_NO_SYMBOL;
	}
	if (err[0])
		pr_note("%s", err);
	for (size_t i = 0; i < n; i++)
		print_sym(o, input, v[i]);
	free(v);
	return 0;
}

static int resolve_file(struct out *o, const char *path, const char *build_id)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int worst = 0;

	if (!f) {
		pr_err("cannot open '%s': %s", path, strerror(errno));
		return PP_EXIT_FAILURE;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len) {
			int ret = resolve_one(o, line, build_id);

			if (ret > worst)
				worst = ret;
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return worst;
}

static void list_all(struct out *o)
{
	for (size_t i = 0; i < syms__count(o->syms); i++)
		print_sym(o, NULL, syms__at(o->syms, i));
}

static int load_exit_code(int err)
{
	switch (err) {
	case ENOENT:
		return PP_EXIT_NOT_FOUND;
	case ENOEXEC:
		return PP_EXIT_NOT_ELF;
	case ENODATA:
		return PP_EXIT_NO_SYMBOL;
	default:
		return PP_EXIT_FAILURE;
	}
}

static int check_build_id(const struct syms *syms, const char *want)
{
	const char *have = syms__build_id(syms);

	if (!want || (have && !strcasecmp(want, have)))
		return 0;
	pr_err("build-id mismatch: '%s' has %s, expected %s; is this the binary the "
	       "addresses came from?", syms__path(syms), have ? have : "none", want);
	return PP_EXIT_FAILURE;
}

int cmd_resolve(int argc, char **argv)
{
	struct resolve_opts opts = { 0 };
	struct syms_opts so;
	struct out o = { 0 };
	char err[4096], path[PATH_MAX];
	bool done;
	int ret, worst = 0;

	ret = parse_args(argc, argv, &opts, &done);
	if (!ret && !done)
		ret = locate_binary(opts.binary, path, sizeof(path));
	if (ret || done) {
		free(opts.debuginfo);
		return ret;
	}
	so = (struct syms_opts){ opts.debuginfo, opts.ndebuginfo };
	o.syms = syms__load(path, &so, err, sizeof(err));
	free(opts.debuginfo);
	if (!o.syms) {
		ret = load_exit_code(errno);
		pr_err("%s", err);
		return ret;
	}
	ret = check_build_id(o.syms, opts.build_id);
	if (ret)
		goto out;
	o.json = opts.json;
	if (o.json) {
		json_init(&o.j, stdout, false);
		json_begin_array(&o.j, NULL);
	}
	for (int i = optind; i < argc; i++) {
		ret = resolve_one(&o, argv[i], opts.build_id);
		worst = ret > worst ? ret : worst;
	}
	if (opts.inputs_from) {
		ret = resolve_file(&o, opts.inputs_from, opts.build_id);
		worst = ret > worst ? ret : worst;
	}
	if (optind == argc && !opts.inputs_from)
		list_all(&o);
	if (o.json) {
		json_end_array(&o.j);
		json_finish(&o.j);
	}
	ret = worst;
out:
	syms__free((struct syms *)o.syms);
	return ret;
}
