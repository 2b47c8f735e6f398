// SPDX-License-Identifier: MIT
/* fileread.c: a whole file into memory, see fileread.h */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "vec.h"
#include "fileread.h"

int read_whole_fd(int fd, size_t max, char **text, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;

	for (;;) {
		nb = vec_grow(buf, n + 1, &cap, 1, 65536); /* room for the NUL too */
		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || n + r > max) {
			int err = r < 0 ? -errno : -EFBIG;

			free(buf);
			return err;
		}
		if (!r)
			break;
		n += r;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int read_whole_file(const char *path, int oflags, size_t max, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | oflags), err;

	if (fd < 0)
		return -errno;
	err = read_whole_fd(fd, max, text, len);
	close(fd);
	return err;
}
