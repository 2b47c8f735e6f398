// SPDX-License-Identifier: MIT
/* needed.c: the libraries a program needs, found as ld.so finds them, see needed.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <elf.h>
#include <gelf.h>
#include "fileread.h"
#include "needed.h"
#include "vec.h"

/* ld.so.cache entries for this machine's libraries (glibc's FLAG_ELF_LIBC6 | FLAG_*_LIB64) */
#if defined(__x86_64__)
#define CACHE_FLAGS 0x0303
#define TRIPLET "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define CACHE_FLAGS 0x0a03
#define TRIPLET "aarch64-linux-gnu"
#else
#define CACHE_FLAGS (-1) /* no entry has it: the cache is not used */
#define TRIPLET "none"
#endif

/* where ld.so looks last: its built-in directories, multiarch (Debian) and lib64 (Fedora) */
static const char default_dirs[] =
    "/lib/" TRIPLET ":/usr/lib/" TRIPLET ":/lib64:/usr/lib64:/lib:/usr/lib";

#define CACHE_PATH "/etc/ld.so.cache"
#define CACHE_MAX (64 << 20)
/* glibc >= 2.32 writes only the new format: a 48-byte header, then 24-byte entries */
#define CACHE_MAGIC "glibc-ld.so.cache1.1"
#define CACHE_HEADER 48
#define CACHE_ENTRY 24

/* what one object's dynamic section says */
struct dyn {
	char **needed;
	size_t n, cap;
	char *rpath, *runpath, *interp;
};

struct walk {
	char *paths[NEEDED_MAX + 1]; /* [0] is the program */
	size_t n;
	unsigned char ident[EI_NIDENT];
	uint16_t machine;
	char *main_rpath, *main_origin; /* the program's DT_RPATH applies to every object */
	char *cache;
	size_t cachelen;
	bool cache_read;
};

static void dyn_free(struct dyn *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->needed[i]);
	free(d->needed);
	free(d->rpath);
	free(d->runpath);
	free(d->interp);
}

static int dyn_add(struct dyn *d, const char *name)
{
	char **v = vec_grow(d->needed, d->n, &d->cap, sizeof(*v), 16);

	if (!v)
		return -ENOMEM;
	d->needed = v;
	d->needed[d->n] = strdup(name);
	if (!d->needed[d->n])
		return -ENOMEM;
	d->n++;
	return 0;
}

/* One dynamic entry: a DT_NEEDED name, the DT_RPATH or the DT_RUNPATH. */
static int dyn_entry(Elf *elf, size_t strndx, const GElf_Dyn *e, struct dyn *d)
{
	const char *s;

	if (e->d_tag != DT_NEEDED && e->d_tag != DT_RPATH && e->d_tag != DT_RUNPATH)
		return 0;
	s = elf_strptr(elf, strndx, e->d_un.d_val);
	if (!s)
		return 0;
	if (e->d_tag == DT_NEEDED)
		return dyn_add(d, s);
	free(e->d_tag == DT_RPATH ? d->rpath : d->runpath);
	if (e->d_tag == DT_RPATH)
		return (d->rpath = strdup(s)) ? 0 : -ENOMEM;
	return (d->runpath = strdup(s)) ? 0 : -ENOMEM;
}

static int read_dynamic(Elf *elf, struct dyn *d)
{
	Elf_Scn *scn = NULL;
	int err = 0;

	while ((scn = elf_nextscn(elf, scn)) && !err) {
		GElf_Shdr sh;
		Elf_Data *data;
		GElf_Dyn e;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (int i = 0; !err && gelf_getdyn(data, i, &e) && e.d_tag != DT_NULL; i++)
			err = dyn_entry(elf, sh.sh_link, &e, d);
	}
	return err;
}

/* The program interpreter (PT_INTERP), which the kernel maps before any library. */
static int read_interp(Elf *elf, struct dyn *d)
{
	size_t n, size;
	const char *raw = elf_rawfile(elf, &size);

	if (!raw || elf_getphdrnum(elf, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_INTERP || ph.p_offset >= size ||
		    ph.p_filesz > size - ph.p_offset || !ph.p_filesz ||
		    raw[ph.p_offset + ph.p_filesz - 1] != '\0')
			continue;
		return (d->interp = strdup(raw + ph.p_offset)) ? 0 : -ENOMEM;
	}
	return 0;
}

/* Read path's dynamic section (and PT_INTERP with interp); ident and machine get its kind. */
static int read_object(const char *path, struct dyn *d, bool interp, unsigned char *ident,
		       uint16_t *machine)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), err = -ENOEXEC;
	struct stat st;
	GElf_Ehdr eh;
	Elf *elf;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOEXEC;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh)) {
		memcpy(ident, eh.e_ident, EI_NIDENT);
		*machine = eh.e_machine;
		err = read_dynamic(elf, d) ?: (interp ? read_interp(elf, d) : 0);
	}
	elf_end(elf);
	close(fd);
	return err;
}

/* Whether path is a regular ELF file of the program's class, byte order and machine. */
static bool fits(const struct walk *w, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	unsigned char h[20];
	struct stat st;
	bool ok;

	if (fd < 0)
		return false;
	ok = !fstat(fd, &st) && S_ISREG(st.st_mode) && read(fd, h, sizeof(h)) == sizeof(h) &&
	     !memcmp(h, ELFMAG, SELFMAG) && h[EI_CLASS] == w->ident[EI_CLASS] &&
	     h[EI_DATA] == w->ident[EI_DATA];
	/* e_machine at 18 in both classes, in the file's byte order */
	if (ok)
		ok = (h[EI_DATA] == ELFDATA2LSB ? (uint16_t)(h[18] | h[19] << 8)
						: (uint16_t)(h[18] << 8 | h[19])) == w->machine;
	close(fd);
	return ok;
}

/* dir/name into out when it fits: out gets its canonical path. */
static bool try_dir(const struct walk *w, const char *dir, size_t dirlen, const char *name,
		    char *out)
{
	char cand[PATH_MAX];

	if (snprintf(cand, sizeof(cand), "%.*s/%s", (int)dirlen, dir, name) >= (int)sizeof(cand))
		return false;
	return fits(w, cand) && realpath(cand, out);
}

/* One search-list entry with $ORIGIN (or ${ORIGIN}) replaced; false for other tokens. */
static bool expand(const char *ent, size_t len, const char *origin, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t skip = !strncmp(ent + i, "$ORIGIN", 7)	  ? 7
			      : !strncmp(ent + i, "${ORIGIN}", 9) ? 9
								  : 0;
		const char *s = skip ? origin : ent + i;
		size_t n = skip ? strlen(origin) : 1;

		if (!skip && ent[i] == '$')
			return false; /* $LIB, $PLATFORM: not worth guessing */
		if (o + n >= outlen)
			return false;
		memcpy(out + o, s, n);
		o += n;
		i += skip ? skip : 1;
	}
	out[o] = '\0';
	return o > 0;
}

/* A colon (or semicolon) separated list; empty entries (the current directory) are skipped. */
static bool search_list(const struct walk *w, const char *list, const char *origin,
			const char *name, char *out)
{
	char dir[PATH_MAX];

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ":;");

		if (len && expand(p, len, origin, dir, sizeof(dir)) && dir[0] == '/' &&
		    try_dir(w, dir, strlen(dir), name, out))
			return true;
		p += len + (p[len] != '\0');
	}
	return false;
}

static uint32_t get32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The cache's string at off, or NULL when it does not end inside the file. */
static const char *cache_str(const struct walk *w, uint32_t off)
{
	return off < w->cachelen && memchr(w->cache + off, '\0', w->cachelen - off) ? w->cache + off
										    : NULL;
}

static bool search_cache(struct walk *w, const char *name, char *out)
{
	uint32_t nlibs;

	if (!w->cache_read) {
		w->cache_read = true;
		if (read_whole_file(CACHE_PATH, O_NONBLOCK, CACHE_MAX, &w->cache, &w->cachelen))
			w->cache = NULL;
	}
	if (!w->cache || w->cachelen < CACHE_HEADER ||
	    memcmp(w->cache, CACHE_MAGIC, strlen(CACHE_MAGIC)))
		return false;
	nlibs = get32(w->cache + 20);
	for (size_t i = 0; i < nlibs && CACHE_HEADER + (i + 1) * CACHE_ENTRY <= w->cachelen; i++) {
		const char *e = w->cache + CACHE_HEADER + i * CACHE_ENTRY, *key, *value;
		uint64_t hwcap;

		memcpy(&hwcap, e + 16, sizeof(hwcap));
		/* hwcap variants (glibc-hwcaps/...) are skipped: the plain one is the guess */
		if ((int32_t)get32(e) != CACHE_FLAGS || hwcap ||
		    !(key = cache_str(w, get32(e + 4))) || strcmp(key, name) ||
		    !(value = cache_str(w, get32(e + 8))))
			continue;
		if (value[0] == '/' && fits(w, value) && realpath(value, out))
			return true;
	}
	return false;
}

/* Where ld.so would find name for an object with dynamic info d, loaded from origin. */
static bool find_lib(struct walk *w, const struct dyn *d, const char *origin, const char *name,
		     char *out)
{
	if (strchr(name, '/'))
		return name[0] == '/' && fits(w, name) && realpath(name, out);
	if (!d->runpath && (search_list(w, d->rpath, origin, name, out) ||
			    search_list(w, w->main_rpath, w->main_origin, name, out)))
		return true;
	return search_list(w, getenv("LD_LIBRARY_PATH"), origin, name, out) ||
	       search_list(w, d->runpath, origin, name, out) || search_cache(w, name, out) ||
	       search_list(w, default_dirs, origin, name, out);
}

/* Add a library found at path (canonical) unless it is known. 0 or what fn returned. */
static int add_lib(struct walk *w, const char *path, needed_fn fn, void *ctx)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->paths[i], path))
			return 0;
	if (w->n > NEEDED_MAX)
		return 0;
	if (!(w->paths[w->n] = strdup(path)))
		return -ENOMEM;
	w->n++;
	return fn(ctx, path);
}

/* The libraries object i of the walk needs, added to it. 0 or -errno. */
static int visit(struct walk *w, size_t i, needed_fn fn, void *ctx)
{
	char origin[PATH_MAX], found[PATH_MAX], *slash;
	unsigned char ident[EI_NIDENT];
	struct dyn d = { 0 };
	uint16_t machine;
	int err;

	err =
	    read_object(w->paths[i], &d, i == 0, i ? ident : w->ident, i ? &machine : &w->machine);
	if (err) {
		dyn_free(&d);
		/* the program must be ELF; a library that cannot be read is skipped */
		return i ? 0 : err;
	}
	snprintf(origin, sizeof(origin), "%s", w->paths[i]);
	slash = strrchr(origin, '/');
	if (slash)
		*(slash == origin ? slash + 1 : slash) = '\0';
	if (i == 0 && d.rpath && !d.runpath) {
		w->main_rpath = strdup(d.rpath);
		w->main_origin = strdup(origin);
	}
	if (d.interp && d.interp[0] == '/' && realpath(d.interp, found))
		err = add_lib(w, found, fn, ctx);
	for (size_t k = 0; !err && k < d.n; k++)
		if (find_lib(w, &d, origin, d.needed[k], found))
			err = add_lib(w, found, fn, ctx);
	dyn_free(&d);
	return err;
}

int needed__each(const char *path, needed_fn fn, void *ctx)
{
	struct walk w = { 0 };
	char real[PATH_MAX];
	int err = 0;

	if (!realpath(path, real))
		return -errno;
	w.paths[w.n++] = strdup(real);
	if (!w.paths[0])
		return -ENOMEM;
	for (size_t i = 0; i < w.n && !err; i++)
		err = visit(&w, i, fn, ctx);
	for (size_t i = 0; i < w.n; i++)
		free(w.paths[i]);
	free(w.main_rpath);
	free(w.main_origin);
	free(w.cache);
	return err ? err : (int)w.n - 1;
}
