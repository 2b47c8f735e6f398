// SPDX-License-Identifier: MIT
/* privs.c: least privilege under sudo, see privs.h */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>
#include "privs.h"

static bool dropped;
static uid_t user_uid;
static gid_t user_gid;

/* A plain decimal id: digits only, no sign or space, below (id_t)-1. */
static int parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out >= (unsigned long)(uid_t)-1)
		return -EINVAL;
	return 0;
}

int invoking_user(uid_t *uid, gid_t *gid, char *why, size_t len)
{
	const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
	unsigned long ul, gl;

	if (geteuid() != 0 || (!u && !g))
		return 0;
	if (parse_id(u, &ul) || parse_id(g, &gl)) {
		snprintf(why, len,
			 "malformed sudo environment (SUDO_UID='%.20s', SUDO_GID='%.20s'): each "
			 "must be a decimal id; run phaseprof through sudo, or unset both as root",
			 u ? u : "", g ? g : "");
		return -EINVAL;
	}
	if (ul == 0)
		return 0;
	*uid = (uid_t)ul;
	*gid = (gid_t)gl;
	return 1;
}

int privs_init(char *why, size_t len)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	int ret = invoking_user(&uid, &gid, why, len);

	if (ret <= 0)
		return ret;
	/* the user's groups, not root's, decide what the user's files let us do */
	pw = getpwuid(uid);
	if (pw ? initgroups(pw->pw_name, gid) : setgroups(1, &gid)) {
		snprintf(why, len, "cannot take the groups of uid %u: %s", (unsigned)uid,
			 strerror(errno));
		return -errno;
	}
	setfsgid(gid);
	setfsuid(uid);
	if ((uid_t)setfsuid(-1) != uid || (gid_t)setfsgid(-1) != gid) {
		snprintf(why, len, "cannot take the file identity of uid %u", (unsigned)uid);
		return -EPERM;
	}
	user_uid = uid;
	user_gid = gid;
	dropped = true;
	return 0;
}

bool privs_dropped(void)
{
	return dropped;
}

uid_t privs_user_uid(void)
{
	return dropped ? user_uid : getuid();
}

gid_t privs_user_gid(void)
{
	return dropped ? user_gid : getgid();
}

void privs_root_fs(struct fs_ident *saved)
{
	saved->switched = dropped;
	if (!dropped)
		return;
	saved->uid = (uid_t)setfsuid(0);
	saved->gid = (gid_t)setfsgid(0);
}

void privs_user_fs(struct fs_ident *saved)
{
	saved->switched = dropped;
	if (!dropped)
		return;
	saved->uid = (uid_t)setfsuid(user_uid);
	saved->gid = (gid_t)setfsgid(user_gid);
}

void privs_restore_fs(const struct fs_ident *saved)
{
	if (!saved->switched)
		return;
	setfsgid(saved->gid);
	setfsuid(saved->uid);
}

/* One path component's verdict: NULL when root's alone, else what is wrong with it. */
static const char *not_roots(const struct stat *st, bool leaf)
{
	bool shared = st->st_mode & (S_IWGRP | S_IWOTH);

	if (st->st_uid != 0)
		return "is not owned by root";
	/* above the leaf, a sticky directory (/tmp) is fine: no one can rename root's entry */
	if (shared && (leaf || !S_ISDIR(st->st_mode) || !(st->st_mode & S_ISVTX)))
		return "is writable by a group or by everyone";
	return NULL;
}

int privs_check_roots(const char *path, bool allow_missing, char *why, size_t len)
{
	char buf[PATH_MAX], copy[PATH_MAX], *slash;
	bool leaf = true;
	struct stat st;

	char *real = realpath(path, NULL); /* judge what the path leads to */

	if (real) {
		snprintf(copy, sizeof(copy), "%s", real);
		path = copy;
		free(real);
	}
	if (path[0] != '/' || snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		snprintf(why, len, "'%s' is not an absolute path", path);
		return -EINVAL;
	}
	for (;;) {
		const char *bad = NULL;

		if (lstat(buf[0] ? buf : "/", &st)) {
			if (errno != ENOENT || !allow_missing || !leaf) {
				snprintf(why, len, "cannot check '%s': %s", buf, strerror(errno));
				return -errno;
			}
		} else {
			bad = S_ISLNK(st.st_mode) ? "is a symbolic link" : not_roots(&st, leaf);
			leaf = false;
		}
		if (bad) {
			snprintf(why, len, "'%s' %s (uid %u, mode %o)", buf[0] ? buf : "/", bad,
				 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
			return -EPERM;
		}
		if (!buf[0])
			return 0;
		slash = strrchr(buf, '/');
		*slash = '\0';
	}
}
