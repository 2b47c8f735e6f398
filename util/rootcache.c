// SPDX-License-Identifier: MIT
/* rootcache.c: root's caches, read and written one way, see rootcache.h */
#define _GNU_SOURCE
#define PR_DOMAIN "cache"
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fileread.h"
#include "log.h"
#include "outfile.h"
#include "privs.h"
#include "rootcache.h"

int rootcache_file_ident(const char *path, struct file_ident *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*id = (struct file_ident){ st.st_dev, st.st_ino, (uint64_t)st.st_size,
				   st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec,
				   st.st_ctim.tv_sec * 1000000000ULL + st.st_ctim.tv_nsec };
	return 0;
}

/* root's, and writable by root alone */
static bool root_only(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* An entry to trust: a regular file, root's alone, one link. */
static bool trusted_entry(const char *path, const struct stat *st)
{
	if (S_ISREG(st->st_mode) && root_only(st) && st->st_nlink == 1)
		return true;
	pr_debug("ignoring cache entry %s: owned by uid %u, mode %o, %lu links; only root's own "
		 "entries are used",
		 path, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777),
		 (unsigned long)st->st_nlink);
	return false;
}

char *rootcache_slurp(const char *path, size_t max, size_t *len, bool trusted)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char *buf = NULL;
	struct stat st;

	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (!trusted || trusted_entry(path, &st)) &&
	    read_whole_fd(fd, max, &buf, len))
		buf = NULL;
	close(fd);
	return buf;
}

/* The cache directory and every one above it are root's alone, or the cache is not used. */
static bool trusted_dir(const char *dir, const char *what)
{
	char why[PATH_MAX + 100];

	if (!privs_check_roots(dir, false, why, sizeof(why)))
		return true;
	pr_debug("not using the %s %s: %s; it must be root's and writable by root alone", what, dir,
		 why);
	return false;
}

char *rootcache_read(const char *dir, const char *what, const char *name, size_t max, size_t *len)
{
	struct fs_ident fs;
	char path[PATH_MAX];
	char *text = NULL;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return NULL;
	privs_root_fs(&fs);
	if (trusted_dir(dir, what))
		text = rootcache_slurp(path, max, len, true);
	privs_restore_fs(&fs);
	return text;
}

static int write_in(int dirfd, const char *name, mode_t mode, int (*fn)(FILE *f, const void *ctx),
		    const void *ctx)
{
	struct outfile out;
	int err = outfile_begin(&out, dirfd, name);

	if (err)
		return err;
	/* before a byte is written: entries may be secret (kernel addresses) */
	if (fchmod(fileno(out.f), mode))
		err = -errno;
	if (!err)
		err = fn(out.f, ctx);
	if (err) {
		outfile_abort(&out);
		return err;
	}
	return outfile_commit(&out);
}

int rootcache_write(const char *dir, const char *what, const char *name, mode_t mode,
		    int (*fn)(FILE *f, const void *ctx), const void *ctx)
{
	struct fs_ident fs;
	int dirfd, err;

	if (geteuid() != 0)
		return -EPERM; /* root's: a capabilities-only user reads it, never writes it */
	privs_root_fs(&fs);
	dirfd = outdir_open(dir);
	if (dirfd >= 0 && !trusted_dir(dir, what)) {
		close(dirfd);
		dirfd = -EPERM;
	}
	if (dirfd < 0) {
		privs_restore_fs(&fs);
		pr_debug("no %s: %s: %s", what, dir, strerror(-dirfd));
		return dirfd;
	}
	err = write_in(dirfd, name, mode, fn, ctx);
	close(dirfd);
	privs_restore_fs(&fs);
	return err;
}

struct bytes {
	const void *buf;
	size_t len;
};

static int write_bytes(FILE *f, const void *ctx)
{
	const struct bytes *b = ctx;

	return fwrite(b->buf, 1, b->len, f) == b->len ? 0 : -EIO;
}

int rootcache_write_bytes(const char *dir, const char *what, const char *name, mode_t mode,
			  const void *buf, size_t len)
{
	struct bytes b = { buf, len };

	return rootcache_write(dir, what, name, mode, write_bytes, &b);
}

/* Whether name ends with suffix and is not keep. */
static bool stale_name(const char *name, const char *suffix, const char *keep)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && !strcmp(name + n - s, suffix) && (!keep || strcmp(name, keep));
}

/* dir to change, never through a symlink, when it is trusted; NULL otherwise. */
static DIR *open_trusted(const char *dir, const char *what)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = NULL;

	if (fd >= 0 && trusted_dir(dir, what))
		d = fdopendir(fd);
	if (fd >= 0 && !d)
		close(fd);
	return d;
}

unsigned rootcache_prune(const char *dir, const char *what, const char *suffix, const char *keep)
{
	struct fs_ident fs;
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	privs_root_fs(&fs);
	d = open_trusted(dir, what);
	while (d && (de = readdir(d)))
		if (de->d_type == DT_REG && stale_name(de->d_name, suffix, keep) &&
		    !unlinkat(dirfd(d), de->d_name, 0)) {
			pr_debug("%s: removed %s/%s", what, dir, de->d_name);
			n++;
		}
	if (d)
		closedir(d);
	privs_restore_fs(&fs);
	return n;
}


struct aged {
	struct timespec mtime;
	uint64_t size;
	char name[NAME_MAX + 1];
};

static int older_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct aged *)a)->mtime;
	const struct timespec *y = &((const struct aged *)b)->mtime;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return (x->tv_nsec > y->tv_nsec) - (x->tv_nsec < y->tv_nsec);
}

/* d's entries named *suffix with their mtimes and sizes (malloc'd, *n of them); NULL when none. */
static struct aged *list_aged(DIR *d, const char *suffix, size_t *n)
{
	struct aged *v = NULL, *grown;
	size_t cap = 0;
	struct dirent *de;
	struct stat st;

	*n = 0;
	while ((de = readdir(d))) {
		if (de->d_type != DT_REG || !stale_name(de->d_name, suffix, NULL) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown)
				break;
			v = grown;
		}
		v[*n].mtime = st.st_mtim;
		v[*n].size = (uint64_t)st.st_size;
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", de->d_name);
		(*n)++;
	}
	return v;
}

void rootcache_trim(const char *dir, const char *what, const char *suffix, unsigned max)
{
	struct fs_ident fs;
	struct aged *v = NULL;
	size_t n = 0, removed = 0;
	DIR *d;

	privs_root_fs(&fs);
	d = open_trusted(dir, what);
	if (d)
		v = list_aged(d, suffix, &n);
	if (v && n > max) {
		qsort(v, n, sizeof(*v), older_first);
		for (size_t i = 0; i < n - max; i++)
			removed += !unlinkat(dirfd(d), v[i].name, 0);
		pr_debug("%s: removed the %zu oldest entries of %s", what, removed, dir);
	}
	free(v);
	if (d)
		closedir(d);
	privs_restore_fs(&fs);
}

void rootcache_usage(const char *dir, const char *suffix, unsigned *entries, uint64_t *bytes)
{
	struct fs_ident fs;
	struct aged *v = NULL;
	size_t n = 0;
	DIR *d;

	*bytes = 0;
	privs_root_fs(&fs);
	d = opendir(dir);
	if (d)
		v = list_aged(d, suffix, &n);
	for (size_t i = 0; i < n; i++)
		*bytes += v[i].size;
	*entries = (unsigned)n;
	free(v);
	if (d)
		closedir(d);
	privs_restore_fs(&fs);
}
