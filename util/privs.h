/* SPDX-License-Identifier: MIT */
/*
 * privs.h: least privilege under sudo. phaseprof needs root (or CAP_BPF and
 * CAP_PERFMON) for BPF, perf events and tracefs only. Everything it does with
 * files runs with the invoking user's file-system identity: privs_init() sets
 * the filesystem uid/gid (setfsuid/setfsgid) and the supplementary groups to
 * SUDO_UID/SUDO_GID for the whole run, so user-named inputs are read, and
 * outputs created, exactly as that user could. Code that keeps root-owned
 * state (tracefs, the plan cache, /etc/phaseprof, systemd units) switches to
 * root's file identity for just that access with privs_root_fs() and
 * privs_restore_fs(). The fs identity is per thread: threads made after
 * privs_init() inherit the user's.
 */
#ifndef PHASEPROF_PRIVS_H
#define PHASEPROF_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A thread's file-system identity, saved to be restored. */
struct fs_ident {
	uid_t uid;
	gid_t gid;
	bool switched;
};

/*
 * The user sudo ran us for, parsed strictly from SUDO_UID/SUDO_GID: 1 with
 * uid/gid set, 0 when not running as root under sudo (or sudo was run by root),
 * -EINVAL with why filled when either variable is missing or not a plain
 * decimal id.
 */
int invoking_user(uid_t *uid, gid_t *gid, char *why, size_t len);
/* Take the invoking user's file identity for this process. 0, or -errno with why. */
int privs_init(char *why, size_t len);
/* Whether privs_init() moved file access to an invoking user. */
bool privs_dropped(void);
/* The invoking user's ids (our own real ids when not under sudo). */
uid_t privs_user_uid(void);
gid_t privs_user_gid(void);
/* Switch this thread's file access to root's identity / the user's / back to what it was. */
void privs_root_fs(struct fs_ident *saved);
void privs_user_fs(struct fs_ident *saved);
void privs_restore_fs(const struct fs_ident *saved);

/*
 * Whether path and every directory above it are root's and writable by root
 * alone (a sticky directory above, as /tmp, may be writable by all); symlinks
 * are refused. A missing leaf is fine with allow_missing (its parents are
 * checked). 0, or -errno with why naming the path at fault.
 */
int privs_check_roots(const char *path, bool allow_missing, char *why, size_t len);

#endif /* PHASEPROF_PRIVS_H */
