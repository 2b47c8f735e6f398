// SPDX-License-Identifier: MIT
/* tracefs.c: find or mount tracefs, see tracefs.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "privs.h"
#include "tracefs.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

static int is_tracefs(const char *dir)
{
	struct statfs st;

	return statfs(dir, &st) == 0 && st.f_type == TRACEFS_MAGIC;
}

static int find_or_mount(char *dir, size_t len, char *why, size_t whylen)
{
	const char *places[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	const char *env = getenv("PHASEPROF_TRACEFS");
	size_t nplaces = 2;

	if (env && *env) { /* the one place to look (and mount): for tests and odd systems */
		places[0] = env;
		nplaces = 1;
	}
	for (size_t i = 0; i < nplaces; i++)
		if (is_tracefs(places[i]))
			return snprintf(dir, len, "%s", places[i]) < (int)len ? 0 : -ENAMETOOLONG;
	if (mount("nodev", places[0], "tracefs", 0, NULL)) {
		int err = errno;

		snprintf(why, whylen,
			 "cannot mount tracefs on %s: %s; mount it by hand "
			 "(mount -t tracefs nodev %s) or check CONFIG_TRACING",
			 places[0], strerror(err), places[0]);
		return -err;
	}
	return snprintf(dir, len, "%s", places[0]) < (int)len ? 0 : -ENAMETOOLONG;
}

/* tracefs is root's (mode 0700): look for it and mount it with root's file identity */
int tracefs_ensure(char *dir, size_t len, char *why, size_t whylen)
{
	struct fs_ident fs;
	int err;

	privs_root_fs(&fs);
	err = find_or_mount(dir, len, why, whylen);
	privs_restore_fs(&fs);
	return err;
}
