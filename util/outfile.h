/* SPDX-License-Identifier: MIT */
/*
 * outfile.h: output files created safely. The output directory is made if
 * missing (never through a symlink planted in its place); each file is written
 * to a new temporary name (O_EXCL|O_NOFOLLOW) and renamed into place when
 * complete, so a reader never sees half a file and nothing is overwritten
 * through a link. Under sudo, all of it is done with the invoking user's
 * file identity (privs.h), so nothing is made as root and handed over.
 */
#ifndef PHASEPROF_OUTFILE_H
#define PHASEPROF_OUTFILE_H

#include <stdio.h>

struct outfile {
	int dirfd;
	char name[256];
	char tmp[300];
	FILE *f;
};

/* Open DIR (made with its parents if missing, mode 0755) for output; fd or -errno. */
int outdir_open(const char *dir);
/* 0 when a file can be created in dirfd, else -errno (EACCES, EROFS, ...). */
int outdir_check_writable(int dirfd);
/* Start writing dirfd/name. 0 or -errno. */
int outfile_begin(struct outfile *o, int dirfd, const char *name);
/* Flush and rename into place (0 or -errno); on error the temporary is removed. */
int outfile_commit(struct outfile *o);
void outfile_abort(struct outfile *o);

#endif /* PHASEPROF_OUTFILE_H */
