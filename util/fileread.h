/* SPDX-License-Identifier: MIT */
/*
 * fileread.h: a whole file into memory, one way: bounded by the caller's
 * limit, read to EOF (tracefs and /proc files say size 0), NUL-terminated.
 */
#ifndef PHASEPROF_FILEREAD_H
#define PHASEPROF_FILEREAD_H

#include <stddef.h>

/*
 * Read what is left of fd into *text (malloc'd, NUL-terminated, *len bytes
 * before the NUL). 0, -EFBIG when it holds more than max bytes, or -errno.
 */
int read_whole_fd(int fd, size_t max, char **text, size_t *len);
/* The same for path, opened with O_RDONLY | O_CLOEXEC | oflags (O_NOFOLLOW, ...). */
int read_whole_file(const char *path, int oflags, size_t max, char **text, size_t *len);

#endif /* PHASEPROF_FILEREAD_H */
