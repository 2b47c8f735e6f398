/* SPDX-License-Identifier: MIT */
/*
 * rootcache.h: root's caches under /var/cache/phaseprof (resolved plans,
 * kernel symbols), read and written one way. A cache is used only when its
 * directory (and every directory above it, unless sticky) and the entry are
 * root's and writable by no one else: a user who could write an entry could
 * steer what root does with it. Entries are read and written with root's
 * file identity (privs.h), never through a symlink, bounded in size, and
 * written only when the effective uid is 0 (a capabilities-only user reads).
 */
#ifndef PHASEPROF_ROOTCACHE_H
#define PHASEPROF_ROOTCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * A regular file's contents (malloc'd, NUL-terminated, *len bytes), at most
 * max bytes, never through a symlink; with trusted, only an entry root's
 * alone with one link. NULL when not read.
 */
char *rootcache_slurp(const char *path, size_t max, size_t *len, bool trusted);
/* dir/name's contents when dir and the entry are root's alone, else NULL (said with -v,
 * what naming the cache: "plan cache"). */
char *rootcache_read(const char *dir, const char *what, const char *name, size_t max, size_t *len);
/* Write dir/name atomically with mode through fn; 0 or -errno (-EPERM when not root's). */
int rootcache_write(const char *dir, const char *what, const char *name, mode_t mode,
		    int (*fn)(FILE *f, const void *ctx), const void *ctx);
/* rootcache_write() of len bytes at buf. */
int rootcache_write_bytes(const char *dir, const char *what, const char *name, mode_t mode,
			  const void *buf, size_t len);
/* Remove dir's entries named *suffix but keep (NULL: all), when trusted; how many went. */
unsigned rootcache_prune(const char *dir, const char *what, const char *suffix, const char *keep);
/* Remove the oldest (by mtime) of dir's entries named *suffix until max are left, when trusted. */
void rootcache_trim(const char *dir, const char *what, const char *suffix, unsigned max);
/* How many entries named *suffix dir holds, and their bytes (0 when unreadable). */
void rootcache_usage(const char *dir, const char *suffix, unsigned *entries, uint64_t *bytes);

/*
 * A file as it is now: what an entry about it (a plan resolved in it, its
 * symbols) must have been made from. A rebuilt or touched file differs.
 */
struct file_ident {
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
};
/* path's identity (following symlinks): 0 or -errno. */
int rootcache_file_ident(const char *path, struct file_ident *id);

#endif /* PHASEPROF_ROOTCACHE_H */
