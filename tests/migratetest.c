// SPDX-License-Identifier: MIT
/*
 * migratetest.c: maps a library on another CPU than the one it exec'd on
 * (test_mmaps_order.py). Run under `taskset -c 1`: it moves to CPU 0, then
 * dlopens libm and spends MS milliseconds (default 300) in its sin().
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	double ms = argc > 1 ? atof(argv[1]) : 300, end, sum = 0;
	double (*fn)(double);
	cpu_set_t cpus;
	void *lib;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus)) {
		perror("migratetest: sched_setaffinity");
		return 1;
	}
	lib = dlopen("libm.so.6", RTLD_NOW);
	fn = lib ? (double (*)(double))dlsym(lib, "sin") : NULL;
	if (!fn) {
		fprintf(stderr, "migratetest: %s\n", dlerror());
		return 1;
	}
	end = now_ms() + ms;
	for (double x = 0; now_ms() < end;)
		for (int i = 0; i < 1000; i++, x += 0.001)
			sum += fn(x);
	printf("%g\n", sum);
	return 0;
}
