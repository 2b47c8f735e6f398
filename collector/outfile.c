// SPDX-License-Identifier: MIT
/* outfile.c: safe output files, see outfile.h */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "outfile.h"

/* The user who ran sudo, so files they asked for belong to them. */
static void give_to_invoking_user(int dirfd, const char *name)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");

	if (geteuid() != 0 || !uid || !gid)
		return;
	if (fchownat(dirfd, name, (uid_t)atol(uid), (gid_t)atol(gid), AT_SYMLINK_NOFOLLOW))
		return; /* best effort: the data is written either way */
}

int outdir_open(const char *dir)
{
	int fd;

	if (mkdir(dir, 0755) == 0)
		give_to_invoking_user(AT_FDCWD, dir);
	else if (errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
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
	give_to_invoking_user(o->dirfd, o->name);
	return 0;
}

void outfile_abort(struct outfile *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	unlinkat(o->dirfd, o->tmp, 0);
}
