// SPDX-License-Identifier: MIT
/*
 * cmd_cache.c: `phaseprof cache`: what phaseprof keeps between runs to start
 * faster (loaded BPF programs pinned in bpffs, resolved plans, the kernel's
 * symbols), listed, and dropped on request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PR_DOMAIN "cache"
#include "bpf_cache.h"
#include "cmdutil.h"
#include "commands.h"
#include "exitcodes.h"
#include "json.h"
#include "kallsyms.h"
#include "log.h"
#include "options.h"
#include "plancache.h"
#include "rootcache.h"
#include "symcache.h"

enum { OPT_JSON = 256, OPT_BPF, OPT_PLANS, OPT_KSYMS, OPT_SYMS };

#define NFILE_CACHES 3

const struct opt_doc cache_options[] = {
	{ "json", OPT_JSON, NULL, "list: print one JSON object" },
	{ "bpf", OPT_BPF, NULL, "drop: the kept BPF programs and maps only" },
	{ "plans", OPT_PLANS, NULL, "drop: the resolved plans only" },
	{ "kernel-symbols", OPT_KSYMS, NULL, "drop: the kernel symbols only" },
	{ "symbols", OPT_SYMS, NULL, "drop: the runtimes' symbol tables only" },
	{ "verbose", 'v', NULL, "say more" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char cache_usage[] =
	"usage: phaseprof cache [list] [--json]\n"
	"       phaseprof cache drop [--bpf] [--plans] [--kernel-symbols] [--symbols]\n"
	"\n"
	"What phaseprof keeps between runs to start faster: its loaded BPF programs\n"
	"and maps (pinned in bpffs, attached to nothing; they hold locked kernel\n"
	"memory), resolved plans, the kernel's symbols and large runtimes' symbol\n"
	"tables. list shows them; drop removes them (every kind unless some are\n"
	"named), except BPF instances a run is using. Needs root.\n";

static const char cache_examples[] =
	"examples:\n"
	"  sudo phaseprof cache              # what is kept, and how much memory it holds\n"
	"  sudo phaseprof cache drop --bpf   # give the BPF programs' memory back\n";

struct cache_opts {
	bool json, drop;
	bool bpf, plans, ksyms, syms; /* drop: which kinds (none named: all) */
};

static int cache_option(int c, void *ctx, char **argv)
{
	struct cache_opts *o = ctx;

	(void)argv;
	switch (c) {
	case OPT_JSON: o->json = true; break;
	case OPT_BPF: o->bpf = true; break;
	case OPT_PLANS: o->plans = true; break;
	case OPT_KSYMS: o->ksyms = true; break;
	case OPT_SYMS: o->syms = true; break;
	case 'v': log_verbosity++; break;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct cache_opts *o, bool *done)
{
	/* options before or after the action */
	static const struct opt_verb v = { "cache", cache_usage, cache_options, cache_examples, 0 };
	int ret;

	memset(o, 0, sizeof(*o));
	ret = options_parse(argc, argv, &v, cache_option, o, done);
	if (ret || *done)
		return ret;
	if (optind < argc && !strcmp(argv[optind], "drop"))
		o->drop = true;
	else if (optind < argc && strcmp(argv[optind], "list"))
		return cmd_usage_error("cache", "takes list or drop, not '%s'", argv[optind]);
	if (optind + 1 < argc)
		return cmd_usage_error("cache", "takes one action, not also '%s'", argv[optind + 1]);
	if (!o->drop && (o->bpf || o->plans || o->ksyms || o->syms))
		return cmd_usage_error("cache", "--bpf, --plans, --kernel-symbols and --symbols go "
				       "with drop%s", "");
	if (o->drop && o->json)
		return cmd_usage_error("cache", "--json goes with list%s", "");
	if (!o->bpf && !o->plans && !o->ksyms && !o->syms)
		o->bpf = o->plans = o->ksyms = o->syms = true;
	return 0;
}

struct file_cache {
	const char *what, *key, *dir, *suffix;
};

static void file_caches(struct file_cache fc[NFILE_CACHES])
{
	fc[0] = (struct file_cache){ "plans", "plans", plancache__dir(), ".plan" };
	fc[1] = (struct file_cache){ "kernel symbols", "kernel_symbols", kallsyms__cache_dir(),
				     ".ksyms" };
	fc[2] = (struct file_cache){ "symbol tables", "symbols", symcache__dir(), ".syms" };
}

static void list_json(void)
{
	struct file_cache fc[NFILE_CACHES];
	struct json j;

	file_caches(fc);
	json_init(&j, stdout, true);
	json_begin_object(&j, NULL);
	json_begin_object(&j, "bpf");
	json_string(&j, "dir", bpf_cache__dir());
	json_begin_array(&j, "instances");
	bpf_cache__list(stdout, &j);
	json_end_array(&j);
	json_end_object(&j);
	for (int i = 0; i < NFILE_CACHES; i++) {
		unsigned n;
		uint64_t bytes;

		rootcache_usage(fc[i].dir, fc[i].suffix, &n, &bytes);
		json_begin_object(&j, fc[i].key);
		json_string(&j, "dir", fc[i].dir);
		json_u64(&j, "entries", n);
		json_u64(&j, "bytes", bytes);
		json_end_object(&j);
	}
	json_end_object(&j);
	json_finish(&j);
}

static void list_plain(void)
{
	struct file_cache fc[NFILE_CACHES];

	file_caches(fc);
	printf("BPF programs and maps (%s):\n", bpf_cache__dir()[0] ? bpf_cache__dir() : "off");
	if (!bpf_cache__list(stdout, NULL))
		printf("  none kept\n");
	for (int i = 0; i < NFILE_CACHES; i++) {
		unsigned n;
		uint64_t bytes;

		rootcache_usage(fc[i].dir, fc[i].suffix, &n, &bytes);
		printf("%s (%s): %u entr%s, %.1f MiB\n", fc[i].what, fc[i].dir, n, n == 1 ? "y" : "ies",
		       bytes / 1048576.0);
	}
}

static int drop(const struct cache_opts *o)
{
	struct file_cache fc[NFILE_CACHES];
	bool pick[NFILE_CACHES] = { o->plans, o->ksyms, o->syms };

	file_caches(fc);
	if (o->bpf) {
		unsigned dropped, busy;

		bpf_cache__drop(&dropped, &busy);
		printf("BPF programs: %u instance%s dropped", dropped, dropped == 1 ? "" : "s");
		if (busy)
			printf(", %u left (a run is using them)", busy);
		printf("\n");
	}
	for (int i = 0; i < NFILE_CACHES; i++) {
		unsigned n = pick[i] ? rootcache_prune(fc[i].dir, fc[i].what, fc[i].suffix, NULL) : 0;

		if (pick[i])
			printf("%s: %u entr%s removed\n", fc[i].what, n, n == 1 ? "y" : "ies");
	}
	return PP_EXIT_OK;
}

int cmd_cache(int argc, char **argv)
{
	struct cache_opts o;
	bool done;
	int ret = parse_opts(argc, argv, &o, &done);

	if (ret || done)
		return ret;
	if (geteuid() != 0) {
		pr_err("the caches are root's: run as root (sudo phaseprof cache)");
		return PP_EXIT_NO_PRIVILEGE;
	}
	if (o.drop)
		return drop(&o);
	if (o.json)
		list_json();
	else
		list_plain();
	return PP_EXIT_OK;
}
