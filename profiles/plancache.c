// SPDX-License-Identifier: MIT
/*
 * plancache.c: resolved plans kept between runs, see plancache.h.
 *
 * An entry is a small text file named by a hash of what the resolution read
 * (format version, profile path and text, runtime path, --debuginfo dirs). It
 * lists every file the plan depends on with its identity (device, inode, size,
 * mtime, ctime), re-checked on every use, then the sites and the probes:
 *
 *	phaseprof-plan 2
 *	file DEV INO SIZE MTIME_NS CTIME_NS HEXPATH
 *	site INDEX CANDIDATE NFUNCS FILE HEXFUNC
 *	miss INDEX HEXWHY
 *	att FILE OFFSET COOKIE RETPROBE SYMSECTION SYMINDEX
 *	end
 *
 * A site that did not resolve (a "miss": WasmEdge's LLVM sites in a build
 * without LLVM) is kept with its why only when nothing installed later could
 * change the answer: every file searched is listed and complete (its own
 * .symtab, no debug file), and no library was missing.
 *
 * The cache is root's state: its directory (and every directory above it,
 * unless sticky) and each entry must be owned by root and writable by no one
 * else, or the cache is not used (named with -v). A user who could write an
 * entry could make root place an int3 anywhere. Entries are written with
 * root's file identity (privs.h) and never handed to anyone; what an entry
 * says is bounds-checked, and each probe offset is checked against the binary
 * again before it is used: the symbol the entry names for it (SYMSECTION,
 * SYMINDEX: one lookup, where scanning node's 86k symbols took 5 ms) must be
 * a function that starts there, inside an executable segment.
 */
#define _GNU_SOURCE
#define PR_DOMAIN "plancache"
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "rootcache.h"
#include <linux/types.h>
#include "phaseprof.h"
#include "plancache.h"
#include "privs.h"
#include "fileread.h"
#include "hash.h"

#define PLAN_MAGIC "phaseprof-plan 2"
#define MAX_ENTRY_BYTES (1 << 20)
#define MAX_FILES 64


static char *slurp(const char *path, size_t max, size_t *len)
{
	return rootcache_slurp(path, max, len, false);
}

/* entries kept: a plan is a few hundred bytes, the newest written stay */
#define PLANCACHE_MAX_ENTRIES 512

const char *plancache__dir(void)
{
	const char *env = getenv("PHASEPROF_CACHE_DIR");

	return env && *env ? env : "/var/cache/phaseprof/plans";
}

/* The entry's file name: what the resolution read, hashed. */
static int entry_name(const struct profile *p, const char *runtime_path,
		      const struct syms_opts *so, char *name, size_t len)
{
	uint64_t h = FNV1A_INIT;
	size_t textlen;
	char *text = slurp(p->path, 16 << 20, &textlen);

	if (!text)
		return -ENOENT;
	h = fnv1a(h, PLAN_MAGIC, sizeof(PLAN_MAGIC));
	h = fnv1a(h, p->path, strlen(p->path) + 1);
	h = fnv1a(h, text, textlen);
	h = fnv1a(h, runtime_path, strlen(runtime_path) + 1);
	for (size_t i = 0; so && i < so->ndebuginfo_dirs; i++)
		h = fnv1a(h, so->debuginfo_dirs[i], strlen(so->debuginfo_dirs[i]) + 1);
	free(text);
	snprintf(name, len, "%016" PRIx64 ".plan", h);
	return 0;
}

static void put_hex(FILE *f, const char *s)
{
	if (!s || !*s) {
		fputc('-', f);
		return;
	}
	for (; *s; s++)
		fprintf(f, "%02x", (unsigned char)*s);
}

/* Decode hex in place; "-" is the empty string. false on bad input. */
static bool from_hex(char *s)
{
	size_t n = strlen(s);
	char *out = s;

	if (!strcmp(s, "-")) {
		*s = '\0';
		return true;
	}
	if (n % 2)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;

		if (sscanf(s + i, "%2x", &v) != 1 || !v)
			return false;
		*out++ = (char)v;
	}
	*out = '\0';
	return true;
}

static int add_file(const char **files, size_t *nfiles, const char *path)
{
	size_t k;

	for (k = 0; k < *nfiles && strcmp(files[k], path); k++)
		;
	if (k < *nfiles)
		return 0;
	if (*nfiles == MAX_FILES)
		return -E2BIG;
	files[(*nfiles)++] = path;
	return 0;
}

/* The plan's files: those its sites resolved in, then every other file it searched. */
static int plan_files(const struct plan *pl, const char **files, size_t *nfiles)
{
	int err = 0;

	*nfiles = 0;
	for (size_t i = 0; !err && i < pl->nsites; i++)
		if (pl->sites[i].module)
			err = add_file(files, nfiles, pl->sites[i].module);
	for (size_t i = 0; !err && i < pl->nsyms; i++)
		err = add_file(files, nfiles, syms__path(pl->syms[i]));
	return err;
}

static size_t file_index(const char *const *files, size_t n, const char *path)
{
	for (size_t k = 0; k < n; k++)
		if (path && !strcmp(files[k], path))
			return k;
	return (size_t)-1;
}

/* The address off maps to in an executable segment of elf, or false when it is in none. */
static bool exec_vaddr(Elf *elf, uint64_t off, uint64_t *vaddr)
{
	size_t nph = 0;
	GElf_Phdr ph;

	elf_getphdrnum(elf, &nph);
	for (size_t i = 0; i < nph; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
		    off >= ph.p_offset && off - ph.p_offset < ph.p_filesz) {
			*vaddr = off - ph.p_offset + ph.p_vaddr;
			return true;
		}
	return false;
}

static Elf *open_elf(const char *path, int *fd)
{
	elf_version(EV_CURRENT);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? NULL : elf_begin(*fd, ELF_C_READ_MMAP, NULL);
}

static void close_elf(Elf *elf, int fd)
{
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
}

/* A probe's function: its entry in a symbol table (section and index) of its file. */
struct symref {
	uint32_t sec, idx;
};

struct wanted {
	uint64_t vaddr;
	size_t att;
};

static int cmp_wanted(const void *a, const void *b)
{
	const struct wanted *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* Each wanted address (sorted) where a function symbol of elf starts: its symbol in refs. */
static void find_functions(Elf *elf, const struct wanted *want, size_t n, struct symref *refs,
			   bool *found)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && i < INT_MAX; i++) {
			struct wanted key;
			const struct wanted *hit;
			GElf_Sym sym;
			size_t at;

			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			key.vaddr = sym.st_value;
			hit = bsearch(&key, want, n, sizeof(*want), cmp_wanted);
			if (!hit)
				continue;
			/* entry and return probes share an address: side by side once sorted */
			for (at = hit - want; at > 0 && want[at - 1].vaddr == sym.st_value; at--)
				;
			for (; at < n && want[at].vaddr == sym.st_value; at++)
				if (!found[want[at].att]) {
					found[want[at].att] = true;
					refs[want[at].att] = (struct symref){ elf_ndxscn(scn), i };
				}
		}
	}
}

/*
 * The symbol of every probe into path (pl->att[i].path): one pass over the
 * file's symbol tables when the plan is saved, so that a load checks each
 * probe against one symbol. 0, or -ENOENT when one starts no function.
 */
static int locate_functions(const char *path, const struct plan *pl, struct symref *refs)
{
	struct wanted *want = calloc(pl->natt + 1, sizeof(*want));
	bool *found = calloc(pl->natt + 1, sizeof(*found));
	int fd;
	Elf *elf = open_elf(path, &fd);
	size_t n = 0;
	int err = want && found && elf ? 0 : -ENOENT;

	for (size_t i = 0; !err && i < pl->natt; i++) {
		if (strcmp(pl->att[i].path, path)) {
			found[i] = true; /* another file's */
			continue;
		}
		want[n].att = i;
		err = exec_vaddr(elf, pl->att[i].offset, &want[n++].vaddr) ? 0 : -ENOENT;
	}
	if (!err && n) {
		qsort(want, n, sizeof(*want), cmp_wanted);
		find_functions(elf, want, n, refs, found);
	}
	for (size_t i = 0; !err && i < pl->natt; i++)
		err = found[i] ? 0 : -ENOENT;
	close_elf(elf, fd);
	free(want);
	free(found);
	return err;
}

/* The entry's symbol for a probe at file offset off names a function that starts there. */
static bool starts_function(Elf *elf, uint64_t off, const struct symref *ref)
{
	Elf_Scn *scn = elf_getscn(elf, ref->sec);
	uint64_t vaddr;
	GElf_Shdr sh;
	Elf_Data *d;
	GElf_Sym sym;

	return exec_vaddr(elf, off, &vaddr) && scn && gelf_getshdr(scn, &sh) &&
	       (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) && sh.sh_entsize &&
	       ref->idx < sh.sh_size / sh.sh_entsize && ref->idx < INT_MAX &&
	       (d = elf_getdata(scn, NULL)) && gelf_getsym(d, (int)ref->idx, &sym) &&
	       GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_value == vaddr;
}

struct save_ctx {
	const struct plan *pl;
	const char *files[MAX_FILES];
	size_t nfiles;
	struct symref *refs; /* per probe */
};

static int write_entry(FILE *f, const struct plan *pl, const char *const *files,
		       size_t nfiles, const struct symref *refs)
{
	fprintf(f, "%s\n", PLAN_MAGIC);
	for (size_t k = 0; k < nfiles; k++) {
		struct file_ident id;

		if (rootcache_file_ident(files[k], &id))
			return -ENOENT;
		fprintf(f, "file %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " ",
			id.dev, id.ino, id.size, id.mtime_ns, id.ctime_ns);
		put_hex(f, files[k]);
		fputc('\n', f);
	}
	for (size_t i = 0; i < pl->nsites; i++) {
		const struct plan_site *ps = &pl->sites[i];

		if (ps->candidate < 0)
			fprintf(f, "miss %zu ", i);
		else
			fprintf(f, "site %zu %d %zu %zd ", i, ps->candidate, ps->nfuncs,
				(ssize_t)file_index(files, nfiles, ps->module));
		put_hex(f, ps->candidate < 0 ? ps->why : ps->first_func);
		fputc('\n', f);
	}
	for (size_t i = 0; i < pl->natt; i++) {
		const struct plan_attach *a = &pl->att[i];

		fprintf(f, "att %zd %" PRIx64 " %" PRIx64 " %d %" PRIu32 " %" PRIu32 "\n",
			(ssize_t)file_index(files, nfiles, a->path), a->offset, a->cookie,
			a->retprobe, refs[i].sec, refs[i].idx);
	}
	fprintf(f, "end\n");
	return ferror(f) ? -EIO : 0;
}

static int write_cb(FILE *f, const void *ctx)
{
	const struct save_ctx *c = ctx;

	return write_entry(f, c->pl, c->files, c->nfiles, c->refs);
}

void plancache__save(const struct plan *pl, const struct profile *p, const char *runtime_path,
		     const struct syms_opts *so)
{
	struct save_ctx c = { .pl = pl };
	char name[64];
	int err;

	for (size_t i = 0; i < pl->nsites; i++)
		if (pl->sites[i].candidate < 0 && pl->sites[i].may_resolve) {
			pr_debug("plan not cached: site %s:%d may resolve later (a library or debug "
				 "file installed)", p->path, pl->sites[i].site->line);
			return;
		}
	if (plan_files(pl, c.files, &c.nfiles) || entry_name(p, runtime_path, so, name, sizeof(name)))
		return;
	c.refs = calloc(pl->natt + 1, sizeof(*c.refs));
	err = c.refs ? 0 : -ENOMEM;
	for (size_t k = 0; !err && k < c.nfiles; k++)
		err = locate_functions(c.files[k], pl, c.refs);
	err = err ?: rootcache_write(plancache__dir(), "plan cache", name, 0644, write_cb, &c);
	free(c.refs);
	if (geteuid() == 0) /* others never write it */
		pr_debug("plan %s %s", name, err ? "not cached" : "cached");
	if (!err) /* one per profile, runtime build and options in use: old ones go */
		rootcache_trim(plancache__dir(), "plan cache", ".plan", PLANCACHE_MAX_ENTRIES);
}

struct reader {
	struct plan *pl;
	const struct profile *p;
	char *files[MAX_FILES];
	uint64_t sizes[MAX_FILES];
	size_t nfiles;
	struct symref *refs; /* per probe, as pl->att */
};

static bool read_file_line(struct reader *rd, char *rest)
{
	struct file_ident want, now;
	char path[8192];

	if (rd->nfiles == MAX_FILES ||
	    sscanf(rest, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %8191s",
		   &want.dev, &want.ino, &want.size, &want.mtime_ns, &want.ctime_ns, path) != 6 ||
	    !from_hex(path) || rootcache_file_ident(path, &now) || memcmp(&want, &now, sizeof(now)))
		return false; /* a changed or missing file: the plan is stale */
	rd->sizes[rd->nfiles] = now.size;
	rd->files[rd->nfiles] = strdup(path);
	return rd->files[rd->nfiles++] != NULL;
}

static bool read_site_line(struct reader *rd, char *rest)
{
	size_t idx, nfuncs;
	ssize_t file;
	int cand;
	char func[8192];
	struct plan_site *ps;

	if (sscanf(rest, "%zu %d %zu %zd %8191s", &idx, &cand, &nfuncs, &file, func) != 5 ||
	    idx >= rd->pl->nsites || rd->pl->sites[idx].first_func || rd->pl->sites[idx].why ||
	    cand < 0 || (size_t)cand >= rd->p->sites[idx].ncandidates ||
	    file < 0 || (size_t)file >= rd->nfiles || !from_hex(func))
		return false;
	ps = &rd->pl->sites[idx];
	if (ps->candidate >= 0)
		return false; /* a site twice: not an entry we wrote (found by fuzz_plancache) */
	ps->candidate = cand;
	ps->nfuncs = nfuncs;
	ps->module = rd->files[file];
	ps->first_func = strdup(func);
	return ps->first_func != NULL;
}

static bool read_miss_line(struct reader *rd, char *rest)
{
	size_t idx;
	char why[8192];
	struct plan_site *ps;

	if (sscanf(rest, "%zu %8191s", &idx, why) != 2 || idx >= rd->pl->nsites || !from_hex(why) ||
	    !why[0])
		return false;
	ps = &rd->pl->sites[idx];
	if (ps->candidate >= 0 || ps->why)
		return false; /* a site twice */
	ps->why = strdup(why);
	return ps->why != NULL;
}

static bool read_att_line(struct reader *rd, char *rest)
{
	struct plan_attach a, *v;
	struct symref ref, *r;
	ssize_t file;
	int ret;

	if (sscanf(rest, "%zd %" SCNx64 " %" SCNx64 " %d %" SCNu32 " %" SCNu32, &file, &a.offset,
		   &a.cookie, &ret, &ref.sec, &ref.idx) != 6 ||
	    file < 0 || (size_t)file >= rd->nfiles || a.offset >= rd->sizes[file] ||
	    (size_t)pp_cookie_site(a.cookie) >= rd->pl->nsites)
		return false;
	a.path = rd->files[file];
	a.retprobe = ret != 0;
	v = realloc(rd->pl->att, (rd->pl->natt + 1) * sizeof(*v));
	if (v)
		rd->pl->att = v;
	r = v ? realloc(rd->refs, (rd->pl->natt + 1) * sizeof(*r)) : NULL;
	if (!r)
		return false;
	rd->refs = r;
	rd->refs[rd->pl->natt] = ref;
	rd->pl->att[rd->pl->natt++] = a;
	return true;
}

/*
 * Each probe offset of the entry, checked against its file as it is now: a
 * function's first byte in an executable segment, never the middle of one
 * (the symbol the entry names for it says which function).
 */
static bool offsets_hold(const struct reader *rd)
{
	bool ok = true;

	for (size_t k = 0; ok && k < rd->nfiles; k++) {
		int fd;
		Elf *elf = open_elf(rd->files[k], &fd);

		ok = elf != NULL;
		for (size_t i = 0; ok && i < rd->pl->natt; i++)
			ok = rd->pl->att[i].path != rd->files[k] ||
			     starts_function(elf, rd->pl->att[i].offset, &rd->refs[i]);
		if (!ok)
			pr_debug("cached plan does not fit %s any more: resolving again",
				 rd->files[k]);
		close_elf(elf, fd);
	}
	return ok;
}

static bool read_entry(struct reader *rd, char *text)
{
	bool ok = !strncmp(text, PLAN_MAGIC "\n", sizeof(PLAN_MAGIC)), ended = false;

	for (char *save, *line = strtok_r(text, "\n", &save); ok && line && !ended;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "file ", 5))
			ok = read_file_line(rd, line + 5);
		else if (!strncmp(line, "site ", 5))
			ok = read_site_line(rd, line + 5);
		else if (!strncmp(line, "miss ", 5))
			ok = read_miss_line(rd, line + 5);
		else if (!strncmp(line, "att ", 4))
			ok = read_att_line(rd, line + 4);
		else if (!strcmp(line, "end"))
			ended = true;
		else
			ok = !strcmp(line, PLAN_MAGIC);
	}
	for (size_t i = 0; ok && i < rd->pl->nsites; i++)
		ok = rd->pl->sites[i].candidate >= 0 || rd->pl->sites[i].why;
	return ok && ended;
}

int plancache__load(struct plan *pl, const struct profile *p, const char *runtime_path,
		    const struct syms_opts *so)
{
	struct reader rd = { .pl = pl, .p = p };
	char name[64], err[2048];
	size_t len;
	char *text;
	bool ok;

	memset(pl, 0, sizeof(*pl));
	if (entry_name(p, runtime_path, so, name, sizeof(name)))
		return -ENOENT;
	text = rootcache_read(plancache__dir(), "plan cache", name, MAX_ENTRY_BYTES, &len);
	if (!text)
		return -ENOENT;
	pl->sites = calloc(p->nsites ? p->nsites : 1, sizeof(*pl->sites));
	pl->nsites = p->nsites;
	for (size_t i = 0; pl->sites && i < p->nsites; i++) {
		pl->sites[i].site = &p->sites[i];
		pl->sites[i].candidate = -1;
	}
	ok = pl->sites && read_entry(&rd, text) && offsets_hold(&rd) &&
	     !plan__check_phases(pl, p, runtime_path, err, sizeof(err));
	free(text);
	free(rd.refs);
	pl->paths = (char **)calloc(rd.nfiles + 1, sizeof(char *));
	if (ok && pl->paths) {
		memcpy(pl->paths, rd.files, rd.nfiles * sizeof(char *));
		pr_debug("plan %s from the cache", name);
		return 0;
	}
	for (size_t i = 0; i < rd.nfiles; i++)
		free(rd.files[i]);
	plan__free(pl);
	return -ESTALE;
}
