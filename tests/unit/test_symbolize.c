// SPDX-License-Identifier: MIT
/* test_symbolize.c: the perf-map parser (/tmp/perf-PID.map lines "START SIZE NAME")
 * and JIT frames named through it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stddef.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "check.h"
#include "needed.h"
#include "symbolize.h"

struct got {
	uint64_t start[8], size[8];
	char name[8][64];
	size_t n;
};

static int collect(void *ctx, uint64_t start, uint64_t size, const char *name, size_t len)
{
	struct got *g = ctx;

	if (g->n < 8) {
		g->start[g->n] = start;
		g->size[g->n] = size;
		snprintf(g->name[g->n], sizeof(g->name[0]), "%.*s", (int)len, name);
	}
	g->n++;
	return 0;
}

static struct got parse(const char *buf, size_t len)
{
	struct got g = { 0 };

	CHECK_INT(symbolizer__parse_perfmap(buf, len, collect, &g), g.n);
	return g;
}

#define PARSE(lit) parse(lit, sizeof(lit) - 1)

static void test_perfmap(void)
{
	static const char nul[] = "10 4 a\0b\n20 4 c";
	struct got g;

	g = PARSE("7f1c2a401000 40 LazyCompile:*fib /app/fib.js:3\n");
	CHECK_INT(g.n, 1);
	CHECK_INT(g.start[0], 0x7f1c2a401000);
	CHECK_INT(g.size[0], 0x40);
	CHECK_STR(g.name[0], "LazyCompile:*fib /app/fib.js:3");
	/* no final newline, CRLF, tabs, 0x, one too many digits, missing fields, empty name */
	g = PARSE("1 2 last");
	CHECK(g.n == 1 && !strcmp(g.name[0], "last"));
	g = PARSE("1 2 crlf\r\n0x10\t0X20\ttabs\n");
	CHECK(g.n == 2 && !strcmp(g.name[0], "crlf") && g.start[1] == 0x10 && g.size[1] == 0x20);
	g = PARSE("ffffffffffffffff 1 max\n1ffffffffffffffff 1 over\n1 ffffffffffffffff1 over\n");
	CHECK(g.n == 1 && g.start[0] == UINT64_MAX);
	g = PARSE("\n1\n1 \n1 2\n1 2 \nzz 2 x\n1 zz x\n 1 2 lead\n");
	CHECK(g.n == 1 && !strcmp(g.name[0], "lead"));
	/* a NUL ends a name, not the buffer */
	g = parse(nul, sizeof(nul) - 1);
	CHECK(g.n == 2 && !strcmp(g.name[0], "a") && !strcmp(g.name[1], "c"));
}

static void test_jit_frames(void)
{
	struct symbolizer *z = symbolizer__new(NULL);
	const char map[] = "1000 100 wasm[0]::function[1]\n2000 10 trampoline\n";
	char name[64];

	CHECK_INT(symbolizer__set_perfmap(z, 7, map, sizeof(map) - 1), 0);
	CHECK_INT(symbolizer__user(z, NULL, 7, 0x10ff, name, sizeof(name)), FRAME_JIT);
	CHECK_STR(name, "wasm[0]::function[1]");
	CHECK_INT(symbolizer__user(z, NULL, 7, 0x1100, name, sizeof(name)), FRAME_UNKNOWN);
	CHECK_INT(symbolizer__user(z, NULL, 7, 0x2000, name, sizeof(name)), FRAME_JIT);
	CHECK_STR(name, "trampoline");
	/* set again: replaced */
	CHECK_INT(symbolizer__set_perfmap(z, 7, "", 0), 0);
	CHECK_INT(symbolizer__user(z, NULL, 7, 0x2000, name, sizeof(name)), FRAME_UNKNOWN);
	symbolizer__free(z);
}

struct libs {
	char *path[NEEDED_MAX];
	size_t n;
};

static int note_lib(void *ctx, const char *path)
{
	struct libs *l = ctx;

	if (l->n < NEEDED_MAX)
		l->path[l->n++] = strdup(path);
	return 0;
}

static bool listed(const struct libs *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->path[i], path))
			return true;
	return false;
}

/* The executable file mapped at the start of this test's /proc/self/maps, as the kernel names
 * it: each shared library ld.so loaded must be one the walk found. Returns how many. */
static size_t check_maps_listed(const struct libs *l, char *libc, size_t libclen)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128], self[PATH_MAX];
	size_t seen = 0;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/'), perms[8];

		if (!path || sscanf(line, "%*s %7s", perms) != 1 || perms[2] != 'x')
			continue;
		path[strcspn(path, "\n")] = '\0';
		/* hwcaps variants are a guess the walk does not make */
		if (!strcmp(path, self) || strstr(path, "glibc-hwcaps"))
			continue;
		if (strstr(path, "/libc.so"))
			snprintf(libc, libclen, "%s", path);
		CHECK(listed(l, path));
		if (!listed(l, path))
			fprintf(stderr, "  not found by the walk: %s\n", path);
		seen++;
	}
	if (f)
		fclose(f);
	return seen;
}

/* The libraries this test loaded are the ones the walk finds, and their symbols name frames. */
/* libc's own fwrite: under ASan, the default lookup finds libasan's interceptor first */
static void *libc_fwrite(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *fn = libc ? dlsym(libc, "fwrite") : NULL;

	if (libc)
		dlclose(libc);
	return fn;
}

static void test_needed(void)
{
	struct libs l = { 0 };
	char libc[PATH_MAX] = "", name[64];
	struct symbolizer *z = symbolizer__new(NULL);
	struct mmaps *m = mmaps__from_proc(getpid());
	void *fn = libc_fwrite();

	CHECK(needed__each("/proc/self/exe", note_lib, &l) == (int)l.n && l.n > 0);
	CHECK(check_maps_listed(&l, libc, sizeof(libc)) > 0);
	CHECK(libc[0] == '/');
	CHECK_INT(needed__each("/proc/self/maps", note_lib, &l), -ENOEXEC);
	for (size_t i = 0; i < l.n; i++)
		free(l.path[i]);
	/* loaded ahead, then used for the mapped file (the same inode) */
	CHECK(symbolizer__load_needed(z, "/proc/self/exe") > 0);
	CHECK(symbolizer__loaded(z, libc));
	CHECK(m && fn);
	if (m && fn) {
		CHECK_INT(symbolizer__user(z, m, getpid(), (uintptr_t)fn, name, sizeof(name)),
			  FRAME_USER);
		CHECK_STR(name, "fwrite");
	}
	mmaps__free(m);
	symbolizer__free(z);
}

/* Frames are named the same whether their libraries' symbols loaded ahead or at first use:
 * every 61st byte of this test's executable mappings, its own file excepted. */
static void test_needed_same_names(void)
{
	struct symbolizer *lazy = symbolizer__new(NULL), *ahead = symbolizer__new(NULL);
	struct mmaps *m = mmaps__from_proc(getpid());
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128], a[256], b[256];
	size_t compared = 0, differ = 0;

	CHECK(symbolizer__load_needed(ahead, "/proc/self/exe") > 0);
	while (m && f && fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &start, &end, perms) != 3 || perms[2] != 'x' ||
		    !strstr(line, ".so"))
			continue;
		for (uint64_t addr = start; addr < end; addr += 61) {
			enum frame_kind ka = symbolizer__user(lazy, m, getpid(), addr, a, sizeof(a));
			enum frame_kind kb = symbolizer__user(ahead, m, getpid(), addr, b, sizeof(b));

			compared++;
			differ += ka != kb || strcmp(a, b);
		}
	}
	CHECK(compared > 1000);
	CHECK_INT(differ, 0);
	if (f)
		fclose(f);
	mmaps__free(m);
	symbolizer__free(lazy);
	symbolizer__free(ahead);
}

/* libc's executable mapping in this process: where, from which file offset, and its file. */
static bool libc_text(uint64_t *start, uint64_t *pgoff, char *path, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off;
		char perms[8], *p = strchr(line, '/');

		if (p && strstr(p, "/libc.so") &&
		    sscanf(line, "%llx-%llx %7s %llx", &s, &e, perms, &off) == 4 && perms[2] == 'x') {
			*start = s;
			*pgoff = off;
			p[strcspn(p, "\n")] = '\0';
			snprintf(path, len, "%s", p);
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* fn's name, in a copy of libc's text mapped at 0x10000000 by process 42 whose file has inode
 * ino (an MMAP2 record fed to the maps), with the libraries' symbols loaded ahead. */
static enum frame_kind name_in_mapping(void *fn, uint64_t ino_delta, char *name, size_t len)
{
	struct {
		struct perf_event_header h;
		uint32_t pid, tid;
		uint64_t addr, len, pgoff;
		uint32_t maj, min;
		uint64_t ino, ino_generation;
		uint32_t prot, flags;
		char filename[PATH_MAX];
	} rec = { .h = { .type = PERF_RECORD_MMAP2 }, .pid = 42, .tid = 42, .addr = 0x10000000,
		  .len = 0x10000000, .prot = PROT_READ | PROT_EXEC };
	struct symbolizer *z = symbolizer__new(NULL);
	struct mmaps *m = mmaps__new();
	enum frame_kind kind = FRAME_UNKNOWN;
	uint64_t start;
	struct stat st;

	if (z && m && libc_text(&start, &rec.pgoff, rec.filename, sizeof(rec.filename)) &&
	    !stat(rec.filename, &st)) {
		rec.maj = major(st.st_dev);
		rec.min = minor(st.st_dev);
		rec.ino = st.st_ino + ino_delta;
		rec.h.size = (offsetof(typeof(rec), filename) + strlen(rec.filename) + 8) & ~7ul;
		mmaps__feed(m, &rec, rec.h.size);
		CHECK(symbolizer__load_needed(z, "/proc/self/exe") > 0);
		kind = symbolizer__user(z, m, 42, rec.addr + ((uintptr_t)fn - start), name, len);
	}
	mmaps__free(m);
	symbolizer__free(z);
	return kind;
}

/* Symbols loaded ahead by name serve a mapping of that very file only (device and inode). */
static void test_needed_checks_inode(void)
{
	void *fn = libc_fwrite();
	char name[128];

	CHECK(fn != NULL);
	if (!fn)
		return;
	CHECK_INT(name_in_mapping(fn, 0, name, sizeof(name)), FRAME_USER);
	CHECK_STR(name, "fwrite");
	/* another file under that name: what was loaded is not used, and the name cannot be
	 * opened as the mapped file (-ESTALE) */
	CHECK_INT(name_in_mapping(fn, 1, name, sizeof(name)), FRAME_UNKNOWN);
	CHECK(strstr(name, "libc.so") != NULL);
}

int main(void)
{
	test_perfmap();
	test_jit_frames();
	test_needed();
	test_needed_same_names();
	test_needed_checks_inode();
	return checks_report("test_symbolize");
}
