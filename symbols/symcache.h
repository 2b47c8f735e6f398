/* SPDX-License-Identifier: MIT */
/*
 * symcache.h: the symbol cache. Reading a large runtime's symbol table
 * (node: 110,000 functions, a 7 MB string table) takes about 40 ms of CPU,
 * paid by every run that names samples, and on two cores it is paid while
 * the runtime runs. The loaded table is kept in /var/cache/phaseprof/syms
 * ($PHASEPROF_SYMS_CACHE_DIR), one flat entry per file, named by a hash of
 * the file's path, device, inode, size, mtime and ctime and the --debuginfo
 * directories; reading one back is a few milliseconds. Only files that carry
 * their own whole .symtab are kept (one named through a debug file could
 * name more once another is installed), and only large ones. Entries are
 * root's (mode 0600, the rules of rootcache.h), checked throughout when
 * read, and the 16 newest are kept.
 */
#ifndef PHASEPROF_SYMCACHE_H
#define PHASEPROF_SYMCACHE_H

struct syms;
struct syms_opts;

/* The cache's directory; "" (PHASEPROF_SYMS_CACHE_DIR set empty) turns it off. */
const char *symcache__dir(void);
/* The symbols of path from the cache, or NULL (then load them). */
struct syms *symcache__load(const char *path, const struct syms_opts *opts);
/* Keep s for the next run, if it is worth keeping; failing to is not an error. */
void symcache__save(const struct syms *s, const struct syms_opts *opts);

#endif /* PHASEPROF_SYMCACHE_H */
