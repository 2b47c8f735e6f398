/* SPDX-License-Identifier: MIT */
/*
 * kallsyms.h: the kernel's text symbols, from /proc/kallsyms or from a cache.
 *
 * Reading /proc/kallsyms costs ~45 ms of kernel CPU on every run, for a table
 * that only changes when the machine reboots or a module comes or goes. The
 * core kernel's and the modules' text symbols are kept in
 * /var/cache/phaseprof/kallsyms ($PHASEPROF_KSYMS_CACHE_DIR), one entry per
 * boot and module list, with the address ranges the entry covers. What lies
 * outside them (BPF programs, trampolines, kprobe slots: they change all the
 * time) is named from /proc/kallsyms, read when first needed.
 */
#ifndef PHASEPROF_KALLSYMS_H
#define PHASEPROF_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kallsyms;

/* The cache's directory: $PHASEPROF_KSYMS_CACHE_DIR or /var/cache/phaseprof/kallsyms; *.ksyms */
const char *kallsyms__cache_dir(void);
/* From the cache, or all of /proc/kallsyms (then cached when root); NULL when unreadable. */
struct kallsyms *kallsyms__load(void);
/* All of /proc/kallsyms; NULL when unreadable or it shows no addresses. */
struct kallsyms *kallsyms__read(void);
/*
 * The name of the symbol addr is in (a symbol runs to the next), or NULL. A
 * table from the cache names only addresses inside the ranges it covers.
 */
const char *kallsyms__find(const struct kallsyms *k, uint64_t addr);
/* Whether k is all of /proc/kallsyms (not a cache entry's part of it). */
bool kallsyms__complete(const struct kallsyms *k);
size_t kallsyms__count(const struct kallsyms *k);
void kallsyms__free(struct kallsyms *k);

/* The parts, for tests and the fuzzer. */
/* A table from kallsyms text (taken: names point into it, freed with the table). */
struct kallsyms *kallsyms__parse(char *text, size_t len);
/*
 * A cache entry for full (a parsed table) and the module list (/proc/modules
 * text) into *buf (malloc'd), *len bytes. 0, -ENOENT when full lacks
 * _stext/_etext, or -ENOMEM.
 */
int kallsyms__encode(const struct kallsyms *full, const char *modules, size_t mlen, char **buf,
		     size_t *len);
/* A table over an entry's bytes (taken; malloc'd, so aligned); NULL when they are not a
 * valid entry. */
struct kallsyms *kallsyms__decode(char *buf, size_t len);
/* The entry's file name for this boot id and module list. */
void kallsyms__entry_name(const char *boot_id, size_t blen, const char *modules, size_t mlen,
			  char *name, size_t len);

#endif /* PHASEPROF_KALLSYMS_H */
