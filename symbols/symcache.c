// SPDX-License-Identifier: MIT
/* symcache.c: loaded symbol tables kept across runs, see symcache.h */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define PR_DOMAIN "symcache"
#include "hash.h"
#include "log.h"
#include "rootcache.h"
#include "symcache.h"
#include "syms.h"

/* smaller tables load from the ELF file about as fast */
#define SYMCACHE_MIN_SYMS 5000
#define SYMCACHE_MAX_ENTRIES 16
#define SYMCACHE_MAX_BYTES (512u << 20)
#define SYMCACHE_WHAT "symbol cache"

const char *symcache__dir(void)
{
	const char *env = getenv("PHASEPROF_SYMS_CACHE_DIR");

	return env ? env : "/var/cache/phaseprof/syms";
}

/* What the entry must be of: the file as it is now, resolved with these options. */
static int file_key(const char *path, const struct syms_opts *opts, uint64_t *key)
{
	struct file_ident id;
	uint64_t h = fnv1a_str(FNV1A_INIT, "ppsyms1");
	int err = rootcache_file_ident(path, &id);

	if (err)
		return err;
	h = fnv1a(fnv1a_str(h, path), &id, sizeof(id));
	for (size_t i = 0; opts && i < opts->ndebuginfo_dirs; i++)
		h = fnv1a_str(fnv1a(h, "\0", 1), opts->debuginfo_dirs[i]);
	*key = h;
	return 0;
}

static void entry_name(uint64_t key, char *name, size_t len)
{
	snprintf(name, len, "%016" PRIx64 ".syms", key);
}

struct syms *symcache__load(const char *path, const struct syms_opts *opts)
{
	char name[64], *buf;
	struct syms *s = NULL;
	uint64_t key;
	size_t len;

	if (!symcache__dir()[0] || file_key(path, opts, &key))
		return NULL;
	entry_name(key, name, sizeof(name));
	buf = rootcache_read(symcache__dir(), SYMCACHE_WHAT, name, SYMCACHE_MAX_BYTES, &len);
	if (buf)
		s = syms__decode(path, key, buf, len);
	free(buf);
	if (s)
		pr_debug("%s: %zu functions from the symbol cache (%s/%s)", path, syms__count(s),
			 symcache__dir(), name);
	else if (buf)
		pr_debug("%s: the symbol cache's entry %s/%s is not whole; reading the file", path,
			 symcache__dir(), name);
	return s;
}

void symcache__save(const struct syms *s, const struct syms_opts *opts)
{
	char name[64], *buf;
	uint64_t key;
	size_t len;

	if (!symcache__dir()[0] || syms__count(s) < SYMCACHE_MIN_SYMS || !syms__cacheable(s) ||
	    file_key(syms__path(s), opts, &key) || syms__encode(s, key, &buf, &len))
		return;
	entry_name(key, name, sizeof(name));
	if (!rootcache_write_bytes(symcache__dir(), SYMCACHE_WHAT, name, 0600, buf, len)) {
		pr_debug("%s: symbols kept in %s/%s", syms__path(s), symcache__dir(), name);
		rootcache_trim(symcache__dir(), SYMCACHE_WHAT, ".syms", SYMCACHE_MAX_ENTRIES);
	}
	free(buf);
}
