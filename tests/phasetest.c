// SPDX-License-Identifier: MIT
/*
 * phasetest.c: a stand-in runtime with phase functions of known duration, for
 * the integration tests. Each argument is one step, run in order:
 *
 *   load=MS[:sleep|busy]           pt_load() for MS milliseconds
 *   compile=MS[:sleep|busy][:N]    pt_compile() with N workers in pt_compile_worker()
 *   instantiate=MS[:sleep|busy]    pt_instantiate()
 *   execute=MS[:sleep|busy]        pt_execute()
 *   lazy=MS[:sleep|busy]           inside execute: pt_execute() calls pt_lazy_compile()
 *                                  for MS first (needs a following execute=)
 *   print=TEXT                     write TEXT and a newline to stdout
 *   cat                            copy stdin to stdout
 *   exit=N                         exit(N) right there
 *   crash=SIG                      raise(SIG) right there (e.g. crash=11)
 *   idle=MS                        sleep outside any phase
 *   fork=N                         fork N children that sleep 20 ms and exit, reap them
 *   exec PROG [ARGS...]            exec PROG with the remaining arguments (ends the steps)
 *   PATH.wasm                      ignored: `phaseprof suite` passes a module first
 *
 * With PHASETEST_CLOCK=FILE in the environment, each phase function's call
 * is timed here too, twice: around the call (outside) and from the function's
 * first to its last statement (inside), in wall time (CLOCK_MONOTONIC) and
 * CPU time (CLOCK_PROCESS_CPUTIME_ID), appended to FILE as
 * "PHASE OUT_WALL OUT_CPU IN_WALL IN_CPU" lines (a lazy compile is its own
 * line, not part of its execute). phaseprof's probes fire on the function's
 * entry and return, in between: its numbers lie between the two, whatever the
 * scheduler does (a preemption right after a probe's trap included). That is
 * the tests' ground truth from the same run.
 *
 * Defaults: sleep, 1 worker. The busy loops spin on the monotonic clock, so
 * their wall time is exact whatever the scheduler does. N:fib instead of
 * MS:busy does a fixed amount of work, recursive fib(N), for CPU-time
 * comparisons (execute=34:fib).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))

struct work {
	long ms;
	int busy; /* 0 sleep, 1 spin for ms, 2 fib(ms) */
};

static volatile unsigned long sink;

static unsigned long fib(unsigned n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static struct work lazy;

/* inlined, as before the clock was added: test_stacks expects spend() as the frame */
static inline __attribute__((always_inline)) long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static FILE *clock_file;

struct stamp {
	long long wall, cpu;
};

static struct stamp stamp(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (struct stamp){ now_ns(), ts.tv_sec * 1000000000LL + ts.tv_nsec };
}

/* Inside stamps, taken by the phase functions: a lazy compile has its own. */
static struct stamp in[2], lazy_in[2];
/* A lazy compile nested in execute, timed outside and inside: not execute's. */
static struct stamp nested_out, nested_in;

static struct stamp diff(struct stamp a, struct stamp b)
{
	return (struct stamp){ b.wall - a.wall, b.cpu - a.cpu };
}

static void clock_line(const char *phase, struct stamp out, struct stamp inside)
{
	if (clock_file) {
		fprintf(clock_file, "%s %lld %lld %lld %lld\n", phase, out.wall, out.cpu, inside.wall,
			inside.cpu);
		fflush(clock_file);
	}
}

/* One phase call: t0 and now around it, in[] inside it, less a nested phase. */
static void clock_phase(const char *phase, struct stamp t0)
{
	struct stamp out = diff(t0, stamp()), inside = diff(in[0], in[1]);

	out = diff(nested_in, out);
	inside = diff(nested_out, inside);
	clock_line(phase, out, inside);
	nested_out = nested_in = (struct stamp){ 0, 0 };
}

static void spend(struct work w)
{
	long long end = now_ns() + w.ms * 1000000LL;

	if (w.busy == 2) {
		sink = fib((unsigned)w.ms);
		return;
	}
	if (!w.busy) {
		struct timespec ts = { w.ms / 1000, (w.ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts))
			;
		return;
	}
	while (now_ns() < end)
		__asm__ volatile("" ::: "memory");
}

NOINLINE void pt_load(struct work w)
{
	in[0] = stamp();
	spend(w);
	in[1] = stamp();
}

NOINLINE void pt_instantiate(struct work w)
{
	in[0] = stamp();
	spend(w);
	in[1] = stamp();
}

NOINLINE void pt_lazy_compile(struct work w)
{
	lazy_in[0] = stamp();
	spend(w);
	lazy_in[1] = stamp();
}

NOINLINE void *pt_compile_worker(void *arg)
{
	spend(*(struct work *)arg);
	return NULL;
}

NOINLINE void pt_compile(struct work w, int nworkers)
{
	pthread_t tids[64];
	int n = nworkers > 64 ? 64 : nworkers;

	in[0] = stamp();
	for (int i = 0; i < n; i++)
		pthread_create(&tids[i], NULL, pt_compile_worker, &w);
	for (int i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	in[1] = stamp();
}

NOINLINE void pt_execute(struct work w)
{
	in[0] = stamp();
	if (lazy.ms) {
		struct stamp t0 = stamp();

		pt_lazy_compile(lazy);
		nested_out = diff(t0, stamp());
		nested_in = diff(lazy_in[0], lazy_in[1]);
		lazy.ms = 0;
		clock_line("compile", nested_out, nested_in);
	}
	spend(w);
	in[1] = stamp();
}


static void fork_children(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct timespec ts = { 0, 20000000L };

			nanosleep(&ts, NULL);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
}

/* "MS[:sleep|busy][:N]" */
static struct work parse_work(const char *v, int *nworkers)
{
	struct work w = { atol(v), 0 };
	const char *c = strchr(v, ':');

	if (c && !strncmp(c + 1, "busy", 4))
		w.busy = 1;
	else if (c && !strncmp(c + 1, "fib", 3))
		w.busy = 2;
	if (c && (c = strchr(c + 1, ':')) && nworkers)
		*nworkers = atoi(c + 1);
	return w;
}

static int step(const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *v = eq ? eq + 1 : "";
	int nworkers = 1;
	size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
	struct stamp t0 = stamp();

	if (!strncmp(arg, "load", klen)) {
		pt_load(parse_work(v, NULL));
		clock_phase("load", t0);
	} else if (!strncmp(arg, "compile", klen)) {
		struct work w = parse_work(v, &nworkers);

		pt_compile(w, nworkers);
		clock_phase("compile", t0);
	} else if (!strncmp(arg, "instantiate", klen)) {
		pt_instantiate(parse_work(v, NULL));
		clock_phase("instantiate", t0);
	} else if (!strncmp(arg, "execute", klen)) {
		pt_execute(parse_work(v, NULL));
		clock_phase("execute", t0);
	} else if (!strncmp(arg, "fork", klen))
		fork_children(atoi(v));
	else if (!strncmp(arg, "lazy", klen))
		lazy = parse_work(v, NULL);
	else if (!strncmp(arg, "idle", klen))
		spend(parse_work(v, NULL));
	else if (!strncmp(arg, "print", klen)) {
		printf("%s\n", v);
		fflush(stdout);
	} else if (!strncmp(arg, "cat", klen)) {
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			fwrite(buf, 1, n, stdout);
		fflush(stdout);
	} else if (!strncmp(arg, "exit", klen))
		exit(atoi(v));
	else if (!strncmp(arg, "crash", klen)) {
		signal(atoi(v), SIG_DFL);
		raise(atoi(v));
	} else if (strlen(arg) > 5 && !strcmp(arg + strlen(arg) - 5, ".wasm")) {
		/* a module path: this stand-in has no module to run */
	} else {
		fprintf(stderr, "phasetest: unknown step '%s'\n", arg);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *clock_path = getenv("PHASETEST_CLOCK");

	if (clock_path && *clock_path)
		clock_file = fopen(clock_path, "a");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "exec") && i + 1 < argc) {
			execv(argv[i + 1], argv + i + 1);
			perror("phasetest: exec");
			return 127;
		}
		if (step(argv[i]))
			return 2;
	}
	return 0;
}
