/* SPDX-License-Identifier: MIT */
/*
 * needed.h: the shared libraries a program will map, found before it runs as
 * the dynamic loader finds them: each object's DT_NEEDED names, searched
 * through its DT_RPATH (when it has no DT_RUNPATH), LD_LIBRARY_PATH, its
 * DT_RUNPATH ($ORIGIN expanded), /etc/ld.so.cache and the default
 * directories, a candidate of another ELF class or machine skipped. Their
 * symbols can then load while the program runs, not after it exits.
 *
 * A guess can be wrong (glibc-hwcaps variants, a dlopen'ed library, an
 * LD_PRELOAD): users of the list treat it as a hint, never as the mappings.
 */
#ifndef PHASEPROF_NEEDED_H
#define PHASEPROF_NEEDED_H

#include <stddef.h>

/* no program needs more; the walk stops there (a loop of symlinks, a hostile file) */
#define NEEDED_MAX 128

/* Called with each library's canonical path (symlinks resolved, as /proc/PID/maps names it);
 * 0 goes on, a negative return stops the walk and is returned. */
typedef int (*needed_fn)(void *ctx, const char *path);

/*
 * Walk the DT_NEEDED closure of the ELF file at path, breadth first, each
 * library once, path itself excluded. Returns how many libraries fn got,
 * -errno when path is not a readable ELF file, or what fn returned.
 */
int needed__each(const char *path, needed_fn fn, void *ctx);

#endif /* PHASEPROF_NEEDED_H */
