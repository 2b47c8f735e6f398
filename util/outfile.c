// SPDX-License-Identifier: MIT
/* outfile.c: safe output files, see outfile.h */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "outfile.h"

/* mkdir -p: every missing directory of dir, mode 0755 (under sudo, made as the user: privs.h) */
static int make_path(const char *dir)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(buf))
		return len ? -ENAMETOOLONG : -ENOENT;
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

int outdir_open(const char *dir)
{
	int fd, err = make_path(dir);

	if (err)
		return err;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int outdir_check_writable(int dirfd)
{
	char name[64];
	int fd;

	/* a real create, not access(2): it answers for this identity, ACLs and read-only mounts */
	snprintf(name, sizeof(name), ".phaseprof-check.%d", (int)getpid());
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	unlinkat(dirfd, name, 0);
	return 0;
}

int outfile_begin(struct outfile *o, int dirfd, const char *name)
{
	int fd;

	memset(o, 0, sizeof(*o));
	o->dirfd = dirfd;
	if (strlen(name) >= sizeof(o->name))
		return -ENAMETOOLONG;
	strcpy(o->name, name);
	snprintf(o->tmp, sizeof(o->tmp), ".%s.%d.tmp", name, (int)getpid());
	fd = openat(dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	o->f = fdopen(fd, "w");
	if (!o->f) {
		int err = -errno;

		close(fd);
		unlinkat(dirfd, o->tmp, 0);
		return err;
	}
	return 0;
}

int outfile_commit(struct outfile *o)
{
	int err = 0;

	if (ferror(o->f))
		err = -EIO;
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (!err && renameat(o->dirfd, o->tmp, o->dirfd, o->name))
		err = -errno;
	if (err) {
		unlinkat(o->dirfd, o->tmp, 0);
		return err;
	}
	return 0;
}

void outfile_abort(struct outfile *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	unlinkat(o->dirfd, o->tmp, 0);
}
