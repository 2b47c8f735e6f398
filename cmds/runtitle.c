// SPDX-License-Identifier: MIT
/* runtitle.c: a run's flame graph title, see runtitle.h */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "jsonread.h"
#include "runtitle.h"

#define MAX_ARGS 256

static const char *base_name(const char *path)
{
	const char *p = strrchr(path, '/');

	return p ? p + 1 : path;
}

static bool is_module(const char *arg)
{
	static const char *const exts[] = { ".wasm", ".wat", ".cwasm", ".aot" };
	size_t n = strlen(arg);

	for (size_t e = 0; e < sizeof(exts) / sizeof(exts[0]); e++)
		if (n > strlen(exts[e]) && !strcmp(arg + n - strlen(exts[e]), exts[e]))
			return true;
	return false;
}

void runtitle_format(char *buf, size_t len, const char *runtime, const char *version,
		     const char *const *argv, time_t when)
{
	const char *app = NULL;
	char date[32] = "";
	struct tm tm;

	for (size_t i = 1; argv && argv[0] && argv[i] && !app; i++)
		if (is_module(argv[i]))
			app = base_name(argv[i]);
	if (!app && argv && argv[0] && argv[1])
		app = base_name(argv[1]);
	if (localtime_r(&when, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	snprintf(buf, len, "%s%s%s: %s, %s", base_name(runtime ? runtime : "?"),
		 version ? " " : "", version ? version : "", app ? app : "(no arguments)", date);
}

int runtitle_from_dir(const char *folded_path, char *buf, size_t len)
{
	const char *argv[MAX_ARGS + 1] = { 0 };
	const struct jr_node *rt, *cmd, *a;
	char path[PATH_MAX], err[256];
	const char *slash = strrchr(folded_path, '/');
	struct jr_node *doc;
	struct stat st;
	size_t n = 0;

	if (snprintf(path, sizeof(path), "%.*sphases.json", slash ? (int)(slash - folded_path + 1) : 0,
		     folded_path) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st))
		return -errno;
	doc = jr_parse_file(path, err, sizeof(err));
	if (!doc)
		return -EINVAL;
	rt = jr_get(doc, "runtime");
	cmd = jr_get(doc, "command");
	for (a = cmd ? cmd->child : NULL; a && n < MAX_ARGS; a = a->next)
		if (jr_str(a))
			argv[n++] = jr_str(a);
	runtitle_format(buf, len, jr_str(jr_get(rt, "name")) ?: jr_str(jr_get(rt, "path")),
			jr_str(jr_get(rt, "version")), argv, st.st_mtime);
	jr_free(doc);
	return 0;
}
