// SPDX-License-Identifier: MIT
/*
 * kallsyms.c: the kernel's text symbols, see kallsyms.h.
 *
 * A table is a sorted array of {start, name offset} over one string table:
 * all of /proc/kallsyms (its text, names cut in place), or a cache entry read
 * in one piece and used where it lies, without a malloc per symbol:
 *
 *	header   "ppksyms" NUL, version, nranges, nsyms, strsize, 8 zero bytes
 *	ranges   nranges x {start, end}: sorted, disjoint, start < end
 *	syms     nsyms x {start, name, 0}: sorted, each inside a range
 *	strings  strsize bytes, the last a NUL
 *
 * The ranges are what the entry covers: [_stext, _etext) for the core kernel,
 * and for each module of /proc/modules, from its text base to its last text
 * symbol. Its last function's end is not known, and past it may lie anything
 * (a BPF program, another module): an address there is named from
 * /proc/kallsyms, as any other outside the ranges.
 *
 * The entry holds kernel addresses (KASLR is a secret): mode 0600, root's
 * alone (rootcache.h). Its name hashes the boot id and each module's name,
 * size and address, so a reboot or a module loaded or unloaded picks another.
 * Every count and offset is checked on read: any bytes give a valid table or none.
 */
#define _GNU_SOURCE
#define PR_DOMAIN "kallsyms"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fileread.h"
#include "hash.h"
#include "kallsyms.h"
#include "log.h"
#include "rootcache.h"
#include "sorted.h"
#include "vec.h"

#define KSYMS_MAGIC "ppksyms"
#define KSYMS_VERSION 1
#define KALLSYMS_MAX_BYTES (64 << 20) /* /proc/kallsyms and an entry both */
#define MODULES_MAX_BYTES (4 << 20)
#define NO_MODULE UINT32_MAX
#define MAX_MODULES 4096

struct ksym {
	uint64_t start;
	uint32_t name;
	uint32_t mod; /* /proc/kallsyms: its [module] tag's offset, or NO_MODULE; entry: 0 */
};

struct krange {
	uint64_t start, end;
};

struct khdr {
	char magic[8];
	uint32_t version, nranges, nsyms, strsize;
	uint64_t zero;
};

struct kallsyms {
	char *buf; /* owned: the kallsyms text or the entry */
	struct ksym *syms;
	size_t nsyms;
	const struct krange *ranges; /* NULL for all of /proc/kallsyms */
	size_t nranges;
	const char *str;
	size_t strsize;
};

const char *kallsyms__cache_dir(void)
{
	const char *env = getenv("PHASEPROF_KSYMS_CACHE_DIR");

	return env && *env ? env : "/var/cache/phaseprof/kallsyms";
}

_Static_assert(offsetof(struct ksym, start) == 0 && offsetof(struct krange, start) == 0,
	       "sorted_upto() keys on start");

static size_t syms_upto(const struct ksym *s, size_t n, uint64_t addr)
{
	return sorted_upto(s, n, sizeof(*s), addr);
}

/* The range (sorted, disjoint) holding addr, or NULL. */
static const struct krange *range_of(const struct krange *r, size_t n, uint64_t addr)
{
	size_t i = sorted_upto(r, n, sizeof(*r), addr);

	return i && addr < r[i - 1].end ? &r[i - 1] : NULL;
}

const char *kallsyms__find(const struct kallsyms *k, uint64_t addr)
{
	const struct krange *r = NULL;
	size_t i;

	if (k->ranges && !(r = range_of(k->ranges, k->nranges, addr)))
		return NULL;
	i = syms_upto(k->syms, k->nsyms, addr);
	if (!i || (r && k->syms[i - 1].start < r->start))
		return NULL;
	return k->str + k->syms[i - 1].name;
}

bool kallsyms__complete(const struct kallsyms *k)
{
	return !k->ranges;
}

size_t kallsyms__count(const struct kallsyms *k)
{
	return k->nsyms;
}

void kallsyms__free(struct kallsyms *k)
{
	if (!k)
		return;
	if (!k->ranges)
		free(k->syms); /* an entry's lie in its buffer */
	free(k->buf);
	free(k);
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name; /* the file's order: stable */
}

/* Hex digits at p (before end) into *v; past them, or NULL when none or more than 16. */
static char *parse_hex(char *p, const char *end, uint64_t *v)
{
	char *start = p;

	*v = 0;
	for (; p < end && p - start < 17; p++) {
		char c = *p, lc = (char)(c | 0x20);
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (lc >= 'a' && lc <= 'f')
			d = lc - 'a' + 10;
		else
			break;
		*v = *v << 4 | (uint64_t)d;
	}
	return p > start && p - start <= 16 ? p : NULL;
}

/*
 * One line "ADDR TYPE NAME[\t[MODULE]]" (without its '\n') at text + off:
 * its text symbol, names cut in place; false for other lines.
 */
static bool parse_line(char *text, size_t off, char *eol, struct ksym *s)
{
	char *p = text + off, *name, *mod;

	if (!(p = parse_hex(p, eol, &s->start)) || eol - p < 4 || p[0] != ' ' ||
	    !strchr("tTwW", p[1]) || p[1] == '\0' || p[2] != ' ' || !s->start)
		return false;
	name = p + 3;
	p = name + strcspn(name, " \t\n");
	if (p == name || p > eol)
		return false;
	s->name = (uint32_t)(name - text);
	s->mod = NO_MODULE;
	mod = p + 1;
	if (p < eol && *p == '\t' && eol - mod > 2 && *mod == '[' && eol[-1] == ']') {
		s->mod = (uint32_t)(mod + 1 - text);
		eol[-1] = '\0';
	}
	*p = '\0';
	return true;
}

struct kallsyms *kallsyms__parse(char *text, size_t len)
{
	struct kallsyms *k = len < UINT32_MAX ? calloc(1, sizeof(*k)) : NULL;
	size_t cap = 0;

	if (!k) {
		free(text);
		return NULL;
	}
	k->buf = text;
	k->str = text;
	k->strsize = len + 1;
	for (size_t off = 0; off < len;) {
		char *nl = memchr(text + off, '\n', len - off), *eol = nl ? nl : text + len;
		struct ksym s, *v;

		if (parse_line(text, off, eol, &s)) {
			v = vec_grow(k->syms, k->nsyms, &cap, sizeof(*v), 1 << 14);
			if (!v) {
				kallsyms__free(k);
				return NULL;
			}
			k->syms = v;
			k->syms[k->nsyms++] = s;
		}
		off = eol - text + 1;
	}
	if (k->nsyms) /* qsort's base must not be NULL */
		qsort(k->syms, k->nsyms, sizeof(*k->syms), cmp_ksym);
	return k;
}

struct kallsyms *kallsyms__read(void)
{
	struct kallsyms *k;
	char *text;
	size_t len;

	if (read_whole_file("/proc/kallsyms", 0, KALLSYMS_MAX_BYTES, &text, &len))
		return NULL;
	k = kallsyms__parse(text, len);
	if (k && !k->nsyms) { /* no addresses shown (kptr_restrict): nothing to name with */
		kallsyms__free(k);
		return NULL;
	}
	return k;
}

/* A range being built: its module's name, NULL for the core kernel. */
struct span {
	struct krange r;
	const char *mod;
};

static bool tag_is(const struct kallsyms *k, const struct ksym *s, const char *mod)
{
	if (s->mod == NO_MODULE)
		return !mod;
	return mod && !strcmp(k->str + s->mod, mod);
}

/* [_stext, _etext): the core kernel's text. */
static bool core_span(const struct kallsyms *k, struct span *sp)
{
	uint64_t stext = 0, etext = 0;

	for (size_t i = 0; i < k->nsyms; i++) {
		if (k->syms[i].mod != NO_MODULE)
			continue;
		if (!strcmp(k->str + k->syms[i].name, "_stext"))
			stext = k->syms[i].start;
		else if (!strcmp(k->str + k->syms[i].name, "_etext"))
			etext = k->syms[i].start;
	}
	*sp = (struct span){ { stext, etext }, NULL };
	return stext && etext > stext;
}

/* A module's text, from its base to its last text symbol in [base, base + size). */
static bool module_span(const struct kallsyms *k, const char *name, uint64_t base, uint64_t size,
			struct span *sp)
{
	size_t i;

	if (!base || size > UINT64_MAX - base)
		return false;
	for (i = syms_upto(k->syms, k->nsyms, base + size - 1); i > 0; i--) {
		const struct ksym *s = &k->syms[i - 1];

		if (s->start < base)
			return false;
		if (tag_is(k, s, name))
			break;
	}
	*sp = (struct span){ { base, i ? k->syms[i - 1].start : 0 }, name };
	return i && sp->r.end > base;
}

/*
 * Each module of /proc/modules ("NAME SIZE REFS DEPS STATE 0xADDR ...") to fn;
 * lines that do not parse are skipped. 0, or the first error fn returned.
 */
static int each_module(const char *mods, size_t mlen,
		       int (*fn)(void *ctx, const char *name, uint64_t size, uint64_t base),
		       void *ctx)
{
	for (size_t off = 0; off < mlen;) {
		const char *nl = memchr(mods + off, '\n', mlen - off);
		size_t ll = (nl ? (size_t)(nl - mods) : mlen) - off;
		char line[512], name[64];
		uint64_t size, base;
		int err;

		snprintf(line, sizeof(line), "%.*s", (int)(ll < sizeof(line) ? ll : 0), mods + off);
		off += ll + 1;
		if (sscanf(line, "%63s %" SCNu64 " %*s %*s %*s %" SCNx64, name, &size, &base) ==
			3 &&
		    (err = fn(ctx, name, size, base)))
			return err;
	}
	return 0;
}

struct spans {
	const struct kallsyms *k;
	struct span *v;
	size_t n, cap;
	char (*names)[64]; /* the spans' module names: one per span */
};

static int add_module_span(void *ctx, const char *name, uint64_t size, uint64_t base)
{
	struct spans *sv = ctx;
	struct span sp, *nv;

	if (sv->n >= MAX_MODULES)
		return 0;
	snprintf(sv->names[sv->n], sizeof(sv->names[0]), "%s", name);
	if (!module_span(sv->k, sv->names[sv->n], base, size, &sp))
		return 0;
	if (!(nv = vec_grow(sv->v, sv->n, &sv->cap, sizeof(*nv), 64)))
		return -ENOMEM;
	sv->v = nv;
	sv->v[sv->n++] = sp;
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->r.start < y->r.start ? -1 : x->r.start > y->r.start;
}

/* A span ends at the first symbol not its own: the entry must name as /proc/kallsyms does. */
static void span_clip(const struct kallsyms *k, struct span *sp)
{
	for (size_t i = syms_upto(k->syms, k->nsyms, sp->r.start - 1);
	     i < k->nsyms && k->syms[i].start < sp->r.end; i++)
		if (!tag_is(k, &k->syms[i], sp->mod)) {
			sp->r.end = k->syms[i].start;
			return;
		}
}

/* Clipped, sorted, and disjoint: an empty span, or one overlapping the one before, is dropped. */
static void spans_tidy(const struct kallsyms *k, struct span *v, size_t *n)
{
	size_t out = 0;

	for (size_t i = 0; i < *n; i++)
		span_clip(k, &v[i]);
	qsort(v, *n, sizeof(*v), cmp_span);
	for (size_t i = 0; i < *n; i++)
		if (v[i].r.end > v[i].r.start && (!out || v[i].r.start >= v[out - 1].r.end))
			v[out++] = v[i];
	*n = out;
}

/* The symbols of the spans into out and str, or just counted when out is NULL. */
static void emit(const struct kallsyms *k, const struct span *v, size_t n, struct ksym *out,
		 char *str, size_t *nsyms, size_t *strsize)
{
	*nsyms = 0;
	*strsize = 0;
	for (size_t j = 0; j < n; j++)
		for (size_t i = syms_upto(k->syms, k->nsyms, v[j].r.start - 1);
		     i < k->nsyms && k->syms[i].start < v[j].r.end; i++) {
			const char *name = k->str + k->syms[i].name;
			size_t l = strlen(name) + 1;

			if (!tag_is(k, &k->syms[i], v[j].mod))
				continue;
			if (out) {
				out[*nsyms] =
				    (struct ksym){ k->syms[i].start, (uint32_t)*strsize, 0 };
				memcpy(str + *strsize, name, l);
			}
			++*nsyms;
			*strsize += l;
		}
}

static int assemble(const struct kallsyms *k, const struct span *v, size_t n, char **buf,
		    size_t *len)
{
	size_t nsyms, strsize, off;
	struct khdr h = { KSYMS_MAGIC, KSYMS_VERSION, (uint32_t)n, 0, 0, 0 };
	struct krange *r;

	emit(k, v, n, NULL, NULL, &nsyms, &strsize);
	if (!n || !nsyms)
		return -ENOENT;
	if (nsyms >= UINT32_MAX / sizeof(struct ksym) || strsize >= UINT32_MAX)
		return -E2BIG;
	h.nsyms = (uint32_t)nsyms;
	h.strsize = (uint32_t)strsize;
	off = sizeof(h) + n * sizeof(*r);
	*len = off + nsyms * sizeof(struct ksym) + strsize;
	*buf = calloc(1, *len);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, &h, sizeof(h));
	r = (struct krange *)(*buf + sizeof(h));
	for (size_t j = 0; j < n; j++)
		r[j] = v[j].r;
	emit(k, v, n, (struct ksym *)(*buf + off), *buf + off + nsyms * sizeof(struct ksym), &nsyms,
	     &strsize);
	return 0;
}

int kallsyms__encode(const struct kallsyms *full, const char *modules, size_t mlen, char **buf,
		     size_t *len)
{
	struct spans sv = { full, malloc(sizeof(*sv.v)), 1, 1,
			    calloc(MAX_MODULES, sizeof(*sv.names)) };
	int err = sv.v && sv.names ? 0 : -ENOMEM;

	if (!err && (!full->nsyms || !core_span(full, &sv.v[0])))
		err = -ENOENT;
	if (!err)
		err = each_module(modules, mlen, add_module_span, &sv);
	if (!err) {
		spans_tidy(full, sv.v, &sv.n);
		err = assemble(full, sv.v, sv.n, buf, len);
	}
	free(sv.v);
	free(sv.names);
	return err;
}

/* Ranges sorted, disjoint, not empty; symbols sorted, each in a range, named in the strings. */
static const char *entry_fault(const struct kallsyms *k)
{
	size_t j = 0;

	if (!k->nranges || !k->strsize || k->str[k->strsize - 1])
		return "no ranges, or strings not NUL-terminated";
	for (size_t i = 0; i < k->nranges; i++)
		if (k->ranges[i].start >= k->ranges[i].end ||
		    (i && k->ranges[i].start < k->ranges[i - 1].end))
			return "ranges overlap or out of order";
	for (size_t i = 0; i < k->nsyms; i++) {
		const struct ksym *s = &k->syms[i];

		if (s->name >= k->strsize || s->mod)
			return "a name out of bounds";
		if (i && s->start < s[-1].start)
			return "symbols out of order";
		while (j < k->nranges && s->start >= k->ranges[j].end)
			j++;
		if (j == k->nranges || s->start < k->ranges[j].start)
			return "a symbol outside the ranges";
	}
	return NULL;
}

struct kallsyms *kallsyms__decode(char *buf, size_t len)
{
	struct kallsyms *k = calloc(1, sizeof(*k));
	const char *why = "too short";
	struct khdr h;

	if (!k) {
		free(buf);
		return NULL;
	}
	k->buf = buf;
	if (len >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		why = "not an entry of this version";
	}
	if (len >= sizeof(h) && !memcmp(h.magic, KSYMS_MAGIC, sizeof(h.magic)) &&
	    h.version == KSYMS_VERSION && !h.zero) {
		/* 32-bit counts: no product overflows 64 bits */
		uint64_t off = sizeof(h) + (uint64_t)h.nranges * sizeof(struct krange);
		uint64_t soff = off + (uint64_t)h.nsyms * sizeof(struct ksym);

		why = "sizes do not add up";
		if (soff + h.strsize == len) {
			k->ranges = (const struct krange *)(buf + sizeof(h));
			k->nranges = h.nranges;
			k->syms = (struct ksym *)(buf + off);
			k->nsyms = h.nsyms;
			k->str = buf + soff;
			k->strsize = h.strsize;
			why = entry_fault(k);
		}
	}
	if (!why)
		return k;
	pr_debug("ignoring the kernel symbol cache entry: %s", why);
	k->syms = NULL; /* inside buf */
	kallsyms__free(k);
	return NULL;
}

static int hash_module(void *ctx, const char *name, uint64_t size, uint64_t base)
{
	uint64_t *h = ctx;

	*h = fnv1a(*h, name, strlen(name) + 1);
	*h = fnv1a(*h, &size, sizeof(size));
	*h = fnv1a(*h, &base, sizeof(base));
	return 0;
}

void kallsyms__entry_name(const char *boot_id, size_t blen, const char *modules, size_t mlen,
			  char *name, size_t len)
{
	uint64_t h = fnv1a(FNV1A_INIT, "phaseprof-kallsyms 1", 21);

	h = fnv1a(h, boot_id, blen);
	/* each module's name, size and address: not its use count, which changes as it is used */
	each_module(modules, mlen, hash_module, &h);
	snprintf(name, len, "%016" PRIx64 ".ksyms", h);
}

/* Keep full's covered part as entry name; failing to is not an error. */
static void save(const struct kallsyms *full, const char *mods, size_t mlen, const char *name)
{
	char *buf;
	size_t len;
	int err;

	if (geteuid() != 0) {
		pr_debug("kernel symbols read from /proc/kallsyms (not cached: not root)");
		return;
	}
	err = kallsyms__encode(full, mods, mlen, &buf, &len);
	if (!err) {
		err = rootcache_write_bytes(kallsyms__cache_dir(), "kernel symbol cache", name, 0600,
					    buf, len);
		free(buf);
	}
	if (err)
		pr_debug("kernel symbols read from /proc/kallsyms (not cached: %s)",
			 strerror(-err));
	else
		pr_debug("kernel symbols read from /proc/kallsyms (cached as %s/%s)", kallsyms__cache_dir(),
			 name);
	if (!err) /* one kernel state is kept: another boot's entries are of no use */
		rootcache_prune(kallsyms__cache_dir(), "kernel symbol cache", ".ksyms", name);
}

struct kallsyms *kallsyms__load(void)
{
	char *boot = NULL, *mods = NULL, *buf, name[64];
	size_t blen = 0, mlen = 0, len;
	struct kallsyms *k = NULL;
	/* no boot id (no procfs?): no cache; no /proc/modules: a kernel without modules */
	int err = read_whole_file("/proc/sys/kernel/random/boot_id", 0, 256, &boot, &blen);

	if (!err)
		err = read_whole_file("/proc/modules", 0, MODULES_MAX_BYTES, &mods, &mlen);
	if (err == -ENOENT && boot) {
		err = 0;
		mlen = 0;
	}
	if (err) {
		free(boot);
		return kallsyms__read();
	}
	kallsyms__entry_name(boot, blen, mods ? mods : "", mlen, name, sizeof(name));
	buf = rootcache_read(kallsyms__cache_dir(), "kernel symbol cache", name, KALLSYMS_MAX_BYTES, &len);
	if (buf && (k = kallsyms__decode(buf, len))) {
		pr_debug("kernel symbols from the cache (%s/%s, %zu symbols)", kallsyms__cache_dir(), name,
			 k->nsyms);
	} else if ((k = kallsyms__read())) {
		save(k, mods ? mods : "", mlen, name);
	}
	free(boot);
	free(mods);
	return k;
}
