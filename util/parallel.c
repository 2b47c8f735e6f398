// SPDX-License-Identifier: MIT
/* parallel.c: blocking calls made at once, see parallel.h */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include "parallel.h"

void parallel_each(void *(*fn)(void *), void **args, size_t n)
{
	pthread_t *tids = calloc(n ? n : 1, sizeof(*tids));
	bool *started = calloc(n ? n : 1, sizeof(*started));
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	/* more than the static TLS (perf_ring.c's 64 KiB buffer), or pthread_create fails */
	pthread_attr_setstacksize(&attr, 512 << 10);
	for (size_t i = 0; i < n; i++)
		if (tids && started)
			started[i] = !pthread_create(&tids[i], &attr, fn, args[i]);
	for (size_t i = 0; i < n; i++) {
		if (started && started[i])
			pthread_join(tids[i], NULL);
		else
			fn(args[i]);
	}
	pthread_attr_destroy(&attr);
	free(started);
	free(tids);
}

static void *close_one(void *fd)
{
	close((int)(long)fd);
	return NULL;
}

void close_at_once(const int *fds, size_t n)
{
	void **args = calloc(n ? n : 1, sizeof(*args));

	if (!args) {
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		args[i] = (void *)(long)fds[i];
	parallel_each(close_one, args, n);
	free(args);
}
