// SPDX-License-Identifier: MIT
/*
 * fuzz_syms.c: libFuzzer over the symbol engine's loading path. Each input is
 * written to a file and loaded as an ELF file by syms__load() (libdwfl and
 * libelf underneath, not instrumented themselves), then looked up every way
 * the collector does: globs, exact names, NAME+OFF, raw addresses, syms__find,
 * suggestions, ambiguity notes. A load may fail, but then with a message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "syms.h"

static char dir[] = "/tmp/fuzz_syms.XXXXXX";
static char path[PATH_MAX];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* no network, and no debug files of this machine matching a fuzzed build-id */
	unsetenv("DEBUGINFOD_URLS");
	if (!mkdtemp(dir)) {
		perror("fuzz_syms: mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/input", dir);
	atexit(cleanup);
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0) {
		perror("fuzz_syms: open");
		abort();
	}
	while (size) {
		ssize_t n = write(fd, data, size);

		if (n <= 0) {
			perror("fuzz_syms: write");
			abort();
		}
		data += n;
		size -= n;
	}
	close(fd);
}

static void check_result(const struct syms *syms, const struct sym **v, size_t n)
{
	char note[256];

	for (size_t i = 0; i < n; i++)
		if (!v[i] || !v[i]->name || !v[i]->demangled)
			abort();
	syms__ambiguous(v, n, note, sizeof(note));
	syms__ambiguous(v, n, NULL, 0);
	for (size_t i = 0; i < n && i < 4; i++)
		syms__short_name(syms, v[i]);
}

static void resolve(const struct syms *syms, const char *spec, const char *bid)
{
	const struct sym **v = NULL;
	char err[512];
	size_t n = 99;
	int ret = syms__resolve(syms, spec, bid, &v, &n, err, sizeof(err));

	if (ret && (v || n))
		abort();
	if (!ret)
		check_result(syms, v, n);
	free(v);
	/* err NULL is allowed too */
	if (!syms__resolve(syms, spec, bid, &v, &n, NULL, 0))
		free(v);
}

static void lookups(const struct syms *syms, const uint8_t *data, size_t size)
{
	static const char *const specs[] = {
		"main", "*", "f?o*", "_start+4", "*::*compile*", "v8::internal::*", "*(int)",
		"_ZN2v88internal4wasm10WasmEngine11SyncCompileEv", "[a-", "\\", "+1", "x+0x10",
	};
	const char *bid = syms__build_id(syms), *names[4];
	size_t count = syms__count(syms);
	char spec[600];
	uint64_t off, vaddr, probe[8] = { 0, 1, UINT64_MAX, 0x1000, 0x401000 };

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		resolve(syms, specs[i], NULL);
	for (size_t i = 0; i < count; i++) {
		const struct sym *s = syms__at(syms, i);

		if (!s || !s->name || !s->demangled || (i && syms__at(syms, i - 1)->vaddr > s->vaddr))
			abort();
	}
	if (count) {
		const struct sym *first = syms__at(syms, 0), *last = syms__at(syms, count - 1);

		resolve(syms, first->name, NULL);
		resolve(syms, last->demangled, NULL);
		snprintf(spec, sizeof(spec), "%s+0x1", first->name);
		resolve(syms, spec, NULL);
		snprintf(spec, sizeof(spec), "0x%llx", (unsigned long long)last->vaddr);
		resolve(syms, spec, bid);
		resolve(syms, spec, "00");
		probe[5] = first->vaddr;
		probe[6] = last->vaddr + last->size - 1;
		probe[7] = last->file_offset;
	}
	if (size >= 8)
		memcpy(&probe[4], data + size - 8, 8);
	for (size_t i = 0; i < 8; i++) {
		const struct sym *s = syms__find(syms, probe[i], &off);

		if (s && (off != probe[i] - s->vaddr || !s->name))
			abort();
		if (s)
			syms__short_name(syms, s);
		syms__vaddr_of_offset(syms, probe[i], &vaddr);
	}
	syms__suggest(syms, "mian", names, 4);
	syms__suggest(syms, "v8::internal::wasm::Compile", names, 4);
	syms__suggest(syms, "", names, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syms *syms;
	char err[1024];

	write_input(data, size);
	err[0] = '\0';
	errno = 0;
	syms = syms__load(path, NULL, err, sizeof(err));
	if (!syms) {
		/* every failure says why */
		if (!errno || !err[0])
			abort();
		return 0;
	}
	if (!syms__count(syms) || strcmp(syms__path(syms), path))
		abort();
	lookups(syms, data, size);
	syms__free(syms);
	return 0;
}
