// SPDX-License-Identifier: MIT
/* cmdutil.c: runtime and profile lookup shared by the verbs, see cmdutil.h */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cmdutil.h"
#include "exitcodes.h"
#include "log.h"
#include "runtime.h"

int cmd_usage_error(const char *verb, const char *fmt, const char *arg)
{
	fprintf(stderr, "phaseprof: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nsee 'phaseprof %s --help'\n", verb);
	return PP_EXIT_USAGE;
}

int cmd_locate_runtime(const char *spec, char *path, size_t len)
{
	char why[256];
	int ret = runtime_locate(spec, path, len);

	if (ret == -ENOENT) {
		pr_err("cannot find runtime '%s': %s", spec,
		       strchr(spec, '/') ? "no such file" : "not on PATH; give its path");
		return PP_EXIT_NOT_FOUND;
	}
	if (ret) {
		pr_err("cannot use runtime '%s': %s", spec, strerror(-ret));
		return PP_EXIT_NOT_ELF;
	}
	ret = runtime_check_elf(path, why, sizeof(why));
	if (ret) {
		pr_err("cannot run '%s': %s", path, ret == -ENOEXEC ? why : strerror(-ret));
		return PP_EXIT_NOT_ELF;
	}
	return 0;
}

int cmd_load_profile(const char *probes, const char *path, bool no_profile_is_error,
		     struct profile **p)
{
	char err[1024] = "", **dirs = NULL;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t ndirs = 0;
	int ret;

	if (probes) {
		ret = profile__parse(probes, p, err, sizeof(err));
		if (ret)
			pr_err("%s", err);
		return ret ? PP_EXIT_PROBE_FILE : 0;
	}
	ret = profile__default_dirs(&dirs, &ndirs);
	if (ret) {
		pr_err("cannot list profile directories: %s", strerror(-ret));
		return PP_EXIT_FAILURE;
	}
	ret = profile__find((const char *const *)dirs, ndirs, base, p, err, sizeof(err));
	profile__free_argv(dirs);
	if (ret == -ENOENT) {
		if (no_profile_is_error)
			pr_err("no profile for runtime '%s': no probes/*.probe names a binary called "
			       "'%s'; write one (see phaseprof-probes(5)) and pass it with --probes "
			       "FILE",
			       path, base);
		return PP_EXIT_NO_PROFILE;
	}
	if (ret)
		pr_err("%s", err[0] ? err : strerror(-ret));
	return ret ? PP_EXIT_PROBE_FILE : 0;
}
