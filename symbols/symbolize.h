/* SPDX-License-Identifier: MIT */
/*
 * symbolize.h: names for sampled addresses. User frames go through the
 * process's mappings to the symbol engine (ELF symbols of the mapped file),
 * JIT code through the runtime's /tmp/perf-PID.map, kernel frames through
 * /proc/kallsyms. What stays unknown is shown by module and offset
 * ([libfoo.so+0x1234]), never as bare hex.
 */
#ifndef PHASEPROF_SYMBOLIZE_H
#define PHASEPROF_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "mmaps.h"
#include "syms.h"

enum frame_kind {
	FRAME_USER,
	FRAME_JIT,    /* named from a perf map: shown with the _[j] suffix */
	FRAME_KERNEL, /* _[k] */
	FRAME_UNKNOWN,
};

struct symbolizer;

struct symbolizer *symbolizer__new(const struct syms_opts *opts);
void symbolizer__free(struct symbolizer *z);
/* Use a symbol table loaded elsewhere (the plan's); it must outlive z. 0 or -ENOMEM. */
int symbolizer__lend(struct symbolizer *z, struct syms *syms);
/* Read /proc/kallsyms now rather than at the first kernel frame (it takes tens of ms). */
void symbolizer__load_kernel(struct symbolizer *z);
/* Load a file's symbols now rather than at its first frame. */
void symbolizer__load_file(struct symbolizer *z, const char *path);
/*
 * Load now the symbols of the shared libraries the program at path will map
 * (needed.h), rather than at their first frame after it exits. A library is
 * loaded by name: the first frame in it checks that the mapped file is the
 * one loaded (device and inode), and loads the mapped one if not. Returns how
 * many libraries were found, or -errno when path is not an ELF file.
 */
int symbolizer__load_needed(struct symbolizer *z, const char *path);
/* Whether the symbols of the file at path are loaded (tests). */
bool symbolizer__loaded(const struct symbolizer *z, const char *path);
/* Name a user address of process pid into buf; returns its kind. */
enum frame_kind symbolizer__user(struct symbolizer *z, const struct mmaps *m, uint32_t pid,
				 uint64_t addr, char *buf, size_t len);
enum frame_kind symbolizer__kernel(struct symbolizer *z, uint64_t addr, char *buf, size_t len);
/*
 * Parse a perf map (/tmp/perf-PID.map: "START SIZE NAME" a line, hex without
 * 0x) held in buf[0..len), which needs no final '\n' nor NUL. fn gets each
 * entry, name not NUL-terminated; lines that do not parse are skipped. Returns
 * how many entries fn got, or the first negative value fn returned.
 */
typedef int (*perfmap_fn)(void *ctx, uint64_t start, uint64_t size, const char *name,
			  size_t namelen);
ssize_t symbolizer__parse_perfmap(const char *buf, size_t len, perfmap_fn fn, void *ctx);
/* Take pid's perf map from buf[0..len) rather than /tmp/perf-PID.map (tests, replays).
 * 0 or -ENOMEM. */
int symbolizer__set_perfmap(struct symbolizer *z, uint32_t pid, const char *buf, size_t len);
/* How many frames were named, and how many stayed unknown. */
void symbolizer__counts(const struct symbolizer *z, uint64_t *named, uint64_t *unknown);

#endif /* PHASEPROF_SYMBOLIZE_H */
