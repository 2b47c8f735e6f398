// SPDX-License-Identifier: MIT
/*
 * syscalltest.c: a stand-in runtime whose phases make known system calls,
 * for --syscalls and --off-cpu. Each argument is one step, run in order:
 *
 *   load=MS       sc_load() sleeps MS milliseconds (one clock_nanosleep)
 *   execute=N     sc_execute() calls getpid() N times
 *   clock=N       sc_clock() calls clock_gettime() N times (the vDSO: no system call)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))

static volatile long sink;

NOINLINE void sc_load(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* glibc has not cached getpid() since 2.25: each call enters the kernel */
NOINLINE void sc_execute(long n)
{
	for (long i = 0; i < n; i++)
		sink += getpid();
}

NOINLINE void sc_clock(long n)
{
	struct timespec ts;

	for (long i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		sink += ts.tv_nsec;
	}
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		long v = eq ? atol(eq + 1) : 0;

		if (!strncmp(argv[i], "load=", 5))
			sc_load(v);
		else if (!strncmp(argv[i], "execute=", 8))
			sc_execute(v);
		else if (!strncmp(argv[i], "clock=", 6))
			sc_clock(v);
		else {
			fprintf(stderr, "syscalltest: unknown step '%s'\n", argv[i]);
			return 2;
		}
	}
	return 0;
}
