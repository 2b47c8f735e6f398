// SPDX-License-Identifier: MIT
/*
 * syms.c: the symbol engine (see syms.h). libdwfl finds the symbol table
 * (.symtab, .dynsym, MiniDebugInfo, build-id/debuglink debug files,
 * debuginfod); we keep the functions, sorted by address, names in one arena.
 * Demangling costs about 0.6 us a name (node: 60 ms for all), so it is lazy:
 * a symbol is demangled when it is returned, and a glob first filters the
 * mangled names by an identifier it must contain.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <demangle.h>

#define PR_DOMAIN "syms"
#include "log.h"
#include "syms.h"
#include "symcache.h"
#include "hash.h"
#include "sorted.h"
#include "vec.h"

/* lazily computed per-symbol state, parallel to syms->v */
enum {
	SX_COLD = 1,     /* a .cold fragment: never an entry point */
	SX_DEMANGLED = 2,
	SX_BASE = 4,     /* base is computed */
};

struct symx {
	const char *base; /* demangled without parameters or clone suffixes */
	unsigned char flags;
};

/* a block of the lazy-string arena; pointers into it stay valid */
struct strblk {
	struct strblk *next;
	size_t used, cap;
	char data[];
};

/* a synthetic symbol (NAME+OFF, 0xADDR) handed out by syms__resolve */
struct extra {
	struct extra *next;
	struct sym sym;
};

struct seg {
	uint64_t vaddr, memsz, offset;
	bool exec;
};

struct syms {
	char *path;
	uint64_t entry; /* e_entry: where the first instruction of a process (or ld.so) is */
	char *build_id;
	struct sym *v;
	struct symx *x;
	size_t n;
	char *names; /* arena of names and source files */
	size_t names_len;
	bool cacheable; /* every symbol from the file itself, read whole: symcache.h */
	struct strblk *blocks;
	struct extra *extras;
	uint32_t *hash; /* open addressing on name, index+1, built on first need */
	size_t hcap;
	struct seg *segs;
	size_t nsegs;
};

/* ---------------------------------------------------------------------- */
/* strings */

static char *arena_put(struct syms *s, const char *str, size_t len)
{
	struct strblk *b = s->blocks;
	char *p;

	if (!b || b->cap - b->used < len + 1) {
		size_t cap = len + 1 > 65536 ? len + 1 : 65536;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = s->blocks;
		s->blocks = b;
	}
	p = b->data + b->used;
	memcpy(p, str, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

static bool is_ident(int c)
{
	return isalnum(c) || c == '_';
}

static bool all_hex(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)p[i]) || isupper((unsigned char)p[i]))
			return false;
	return len > 0;
}

/* Drop Rust hashes in place: legacy "::h<16 hex>" and v0 "crate[hex]". */
static void strip_rust_hashes(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == ':' && r[1] == ':' && r[2] == 'h' && all_hex(r + 3, 16) &&
		    !is_ident((unsigned char)r[19])) {
			r += 19;
			continue;
		}
		if (r[0] == '[' && w > s && is_ident((unsigned char)w[-1])) {
			size_t len = strspn(r + 1, "0123456789abcdef");

			if (len && r[1 + len] == ']') {
				r += len + 2;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
}

char *syms__demangle(const char *name)
{
	char *d;

	if (!name || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
	if (d)
		strip_rust_hashes(d);
	return d;
}

static const char *const clone_kinds[] = { ".part.", ".constprop.", ".isra.", ".lto_priv." };

/* Length of name without a trailing chain of clone suffixes (".isra.0.part.1"). */
static size_t clone_base_len(const char *name)
{
	size_t len = strlen(name);

	for (;;) {
		size_t end = len, k;

		while (end > 0 && isdigit((unsigned char)name[end - 1]))
			end--;
		if (end == len)
			return len;
		for (k = 0; k < sizeof(clone_kinds) / sizeof(clone_kinds[0]); k++) {
			size_t kl = strlen(clone_kinds[k]);

			if (end >= kl + 1 && !memcmp(name + end - kl, clone_kinds[k], kl)) {
				len = end - kl;
				break;
			}
		}
		if (k == sizeof(clone_kinds) / sizeof(clone_kinds[0]))
			return len;
	}
}

bool syms__is_cold(const char *name)
{
	/* most names have no '.' at all: strchr finds that faster than strstr */
	const char *p = strchr(name, '.');

	while (p && (p = strstr(p, ".cold"))) {
		if (p[5] == '\0' || p[5] == '.' || isdigit((unsigned char)p[5]))
			return true;
		p += 5;
	}
	return false;
}

/* The name to glob on: demangled without parameters or clones, Rust hashes dropped. */
static char *make_base(const char *name)
{
	char *d = NULL;

	if (name[0] == '_' && (name[1] == 'Z' || name[1] == 'R'))
		d = cplus_demangle(name, DMGL_ANSI);
	if (d) {
		strip_rust_hashes(d);
		return d;
	}
	return strndup(name, clone_base_len(name));
}

/* Full demangled name without " [clone ...]" parts, for '(' specs. */
static void cut_clone_note(char *s)
{
	char *p = strstr(s, " [clone .");

	if (p)
		*p = '\0';
}

/*
 * name without its template arguments ("ns::Decoder<ns::Tag, 1>::Decode" to
 * "ns::Decoder::Decode") into buf, so a glob without '<' matches what a
 * function is called, not the types it was instantiated with. Arguments open
 * right after an identifier; a '<' that opens a path segment is part of the
 * name (Rust's "<impl Foo>::bar", "<Foo as Drop>::drop"), and so is the '<' of
 * operator<, operator<< and operator<=>. False when buf is too small (the
 * caller matches the whole name then).
 */
static bool strip_template_args(const char *name, char *buf, size_t len)
{
	size_t depth = 0, k = 0;

	for (const char *p = name; *p; p++) {
		if (depth) {
			depth += *p == '<';
			depth -= *p == '>';
			continue;
		}
		if (!strncmp(p, "operator", 8) && p[8] && strchr("<>=-", p[8])) {
			size_t ops = 8 + strspn(p + 8, "<>=-");

			if (k + ops >= len)
				return false;
			memcpy(buf + k, p, ops);
			k += ops;
			p += ops - 1;
			continue;
		}
		if (*p == '<' && k && (isalnum((unsigned char)buf[k - 1]) || buf[k - 1] == '_')) {
			depth = 1;
			continue;
		}
		if (k + 1 >= len)
			return false;
		buf[k++] = *p;
	}
	buf[k] = '\0';
	return true;
}

/* the glob on a name: inside template arguments only if spec has a '<' itself */
static bool glob_name(const char *spec, const char *name, char *buf, size_t len)
{
	if (strchr(name, '<') && !strchr(spec, '<') && strip_template_args(name, buf, len))
		name = buf;
	return fnmatch(spec, name, 0) == 0;
}

bool syms__match(const char *spec, const char *name)
{
	char buf[4096];
	bool ok;
	char *s;

	if (syms__is_cold(name))
		return false;
	if (strchr(spec, '(')) {
		s = syms__demangle(name);
		if (!s)
			s = strndup(name, clone_base_len(name));
		else
			cut_clone_note(s);
	} else {
		s = make_base(name);
	}
	if (!s)
		return false;
	ok = glob_name(spec, s, buf, sizeof(buf));
	free(s);
	return ok;
}

/* ---------------------------------------------------------------------- */
/* lazy per-symbol state */

static const char *store(struct syms *s, char *m, const char *fallback)
{
	const char *p = fallback;

	if (m) {
		p = arena_put(s, m, strlen(m));
		if (!p)
			p = fallback;
		free(m);
	}
	return p;
}

static void ensure_demangled(struct syms *s, size_t i)
{
	if (s->x[i].flags & SX_DEMANGLED)
		return;
	s->v[i].demangled = store(s, syms__demangle(s->v[i].name), s->v[i].name);
	s->x[i].flags |= SX_DEMANGLED;
}

static void ensure_base(struct syms *s, size_t i)
{
	if (s->x[i].flags & SX_BASE)
		return;
	s->x[i].base = store(s, make_base(s->v[i].name), s->v[i].name);
	s->x[i].flags |= SX_BASE;
}

/* ---------------------------------------------------------------------- */
/* loading */

struct rawsym {
	uint64_t vaddr, size;
	size_t name, file; /* offsets in the names arena; file is SIZE_MAX for none */
	unsigned char bind;
	bool cold;
};

struct loader {
	struct rawsym *v;
	size_t n, cap;
	char *names;
	size_t nlen, ncap;
};

/* Add str[0..len) to the names arena; returns its offset, or SIZE_MAX. */
static size_t loader_str(struct loader *l, const char *str, size_t len)
{
	size_t off;

	while (l->nlen + len + 1 > l->ncap) {
		char *p = vec_grow(l->names, l->ncap, &l->ncap, 1, 1 << 20);

		if (!p)
			return SIZE_MAX;
		l->names = p;
	}
	off = l->nlen;
	memcpy(l->names + off, str, len);
	l->names[off + len] = '\0';
	l->nlen += len + 1;
	return off;
}

static int loader_add(struct loader *l, const struct rawsym *r)
{
	struct rawsym *p = vec_grow(l->v, l->n, &l->cap, sizeof(*p), 4096);

	if (!p)
		return -ENOMEM;
	l->v = p;
	l->v[l->n++] = *r;
	return 0;
}

static const char *sort_names;

/* address order; at one address the best name first: sized, global, not a clone, short */
static int rawsym_cmp(const void *a, const void *b)
{
	const struct rawsym *x = a, *y = b;
	bool xl = x->bind == STB_LOCAL, yl = y->bind == STB_LOCAL;
	const char *xn = sort_names + x->name, *yn = sort_names + y->name;
	size_t xlen, ylen;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	if (x->cold != y->cold)
		return x->cold ? 1 : -1;
	if (!x->size != !y->size)
		return !x->size ? 1 : -1;
	if (xl != yl)
		return xl ? 1 : -1;
	xlen = strlen(xn);
	ylen = strlen(yn);
	if ((clone_base_len(xn) == xlen) != (clone_base_len(yn) == ylen))
		return clone_base_len(xn) == xlen ? -1 : 1;
	if (xlen != ylen)
		return xlen < ylen ? -1 : 1;
	return strcmp(xn, yn);
}

static int load_segments(struct syms *s, Elf *elf, uint64_t fsize)
{
	GElf_Ehdr eh;
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	if (gelf_getehdr(elf, &eh))
		s->entry = eh.e_entry;
	if (n > fsize / sizeof(Elf32_Phdr))
		n = fsize / sizeof(Elf32_Phdr); /* a corrupt count: only so many fit */
	s->segs = calloc(n ? n : 1, sizeof(*s->segs));
	if (!s->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		s->segs[s->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_memsz, ph.p_offset,
						    (ph.p_flags & PF_X) != 0 };
	}
	return 0;
}

/* The segment holding vaddr, the executable one first. */
static const struct seg *find_seg(const struct syms *s, uint64_t vaddr)
{
	const struct seg *any = NULL;

	for (size_t i = 0; i < s->nsegs; i++) {
		const struct seg *g = &s->segs[i];

		if (vaddr < g->vaddr || vaddr - g->vaddr >= g->memsz)
			continue;
		if (g->exec)
			return g;
		if (!any)
			any = g;
	}
	return any;
}

static uint64_t file_offset(const struct syms *s, uint64_t vaddr)
{
	const struct seg *g = find_seg(s, vaddr);

	return g ? g->offset + (vaddr - g->vaddr) : vaddr;
}

/*
 * Whether an STT_FILE names the source of the local functions after it. An
 * empty one ends the previous file's run: GCC's LTO emits one before the
 * functions of every merged unit, so without this they would all show the
 * file before it. An object's name (clang's LTO "ld-temp.o", Scrt1.o) is no
 * source file, and the C runtime's crtstuff.c holds only its own few
 * functions: neither tells anything.
 */
static bool telling_file(const char *name)
{
	const char *base = name ? strrchr(name, '/') : NULL;
	size_t n;

	base = base ? base + 1 : name;
	if (!base || !*base || *base == '<')
		return false;
	n = strlen(base);
	return !(strncmp(base, "crt", 3) == 0 || (n > 2 && !strcmp(base + n - 2, ".o")));
}

/* Room for the n symbols at once: doubling from 4096 copied node's 86k four times over. */
static int reserve(struct loader *l, size_t n)
{
	if (n && !l->cap) {
		l->v = malloc(n * sizeof(*l->v));
		if (!l->v)
			return -ENOMEM;
		l->cap = n;
	}
	return 0;
}

static int collect(Dwfl_Module *mod, GElf_Addr bias, struct loader *l)
{
	int n = dwfl_module_getsymtab(mod);
	size_t file = SIZE_MAX;

	if (n < 0)
		return -ENODATA;
	if (reserve(l, (size_t)n))
		return -ENOMEM;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		struct rawsym r;

		if (type == STT_FILE) {
			file = telling_file(name) ? loader_str(l, name, strlen(name)) : SIZE_MAX;
			continue;
		}
		if (!name || !*name)
			continue;
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || shndx == SHN_UNDEF || !addr)
			continue;
		r = (struct rawsym){ .vaddr = addr - bias, .size = sym.st_size,
				     .bind = GELF_ST_BIND(sym.st_info),
				     .cold = syms__is_cold(name) };
		r.file = r.bind == STB_LOCAL ? file : SIZE_MAX;
		/* glibc's .symtab spells .symver names "foo@GLIBC_2.2.5": keep "foo" */
		r.name = loader_str(l, name, strchrnul(name + 1, '@') - name);
		if (r.name == SIZE_MAX || loader_add(l, &r))
			return -ENOMEM;
	}
	return 0;
}

#define RADIX_BITS 11

/* One pass of a stable radix sort of src into dst on the digit at shift; false when every
 * symbol has the same digit there (nothing moved). */
static bool radix_pass(const struct rawsym *src, struct rawsym *dst, size_t n, int shift)
{
	size_t count[1 << RADIX_BITS] = { 0 }, sum = 0;
	const uint64_t mask = (1u << RADIX_BITS) - 1;

	for (size_t i = 0; i < n; i++)
		count[src[i].vaddr >> shift & mask]++;
	if (count[src[0].vaddr >> shift & mask] == n)
		return false;
	for (size_t d = 0; d <= mask; d++) {
		size_t c = count[d];

		count[d] = sum;
		sum += c;
	}
	for (size_t i = 0; i < n; i++)
		dst[count[src[i].vaddr >> shift & mask]++] = src[i];
	return true;
}

/*
 * Address order, and at one address rawsym_cmp's: a radix sort on the address,
 * then insertion into each (short) run of one address. qsort's n log n calls
 * of rawsym_cmp were 40% of loading node's 86k symbols.
 */
static int sort_rawsyms(struct loader *l)
{
	struct rawsym *tmp = l->n ? malloc(l->n * sizeof(*tmp)) : NULL, *src = l->v, *dst = tmp;

	if (!l->n)
		return 0;
	if (!tmp)
		return -ENOMEM;
	for (int shift = 0; shift < 64; shift += RADIX_BITS) {
		struct rawsym *t = src;

		if (!radix_pass(src, dst, l->n, shift))
			continue;
		src = dst;
		dst = t;
	}
	if (src != l->v) { /* the sorted copy is the other buffer: keep it */
		free(l->v);
		l->v = src;
		l->cap = l->n;
	} else {
		free(tmp);
	}
	for (size_t i = 1; i < l->n; i++) {
		struct rawsym r = l->v[i];
		size_t j = i;

		for (; j > 0 && l->v[j - 1].vaddr == r.vaddr && rawsym_cmp(&l->v[j - 1], &r) > 0; j--)
			l->v[j] = l->v[j - 1];
		l->v[j] = r;
	}
	return 0;
}

/* Sort, drop duplicates and size-0 symbols inside sized ones, build s->v. */
static int finish(struct syms *s, struct loader *l)
{
	uint64_t end = 0;
	size_t i, k = 0;

	sort_names = l->names;
	if (sort_rawsyms(l))
		return -ENOMEM;
	s->v = calloc(l->n ? l->n : 1, sizeof(*s->v));
	s->x = calloc(l->n ? l->n : 1, sizeof(*s->x));
	if (!s->v || !s->x)
		return -ENOMEM;
	s->names = l->names;
	s->names_len = l->nlen;
	l->names = NULL;
	for (i = 0; i < l->n; i++) {
		const struct rawsym *r = &l->v[i];
		struct sym *p = k ? &s->v[k - 1] : NULL;

		if (p && p->vaddr == r->vaddr && !strcmp(p->name, s->names + r->name))
			continue;
		if (!r->size && r->vaddr < end)
			continue;
		if (r->size && r->vaddr + r->size > end)
			end = r->vaddr + r->size;
		s->v[k] = (struct sym){
			.vaddr = r->vaddr, .size = r->size,
			.file_offset = file_offset(s, r->vaddr),
			.name = s->names + r->name,
			.source_file = r->file == SIZE_MAX ? NULL : s->names + r->file,
			.is_local = r->bind == STB_LOCAL,
		};
		s->x[k].flags = r->cold ? SX_COLD : 0;
		k++;
	}
	s->n = k;
	return 0;
}

static char *hexstr(const unsigned char *bits, int len)
{
	char *h = malloc(2 * (size_t)len + 1);

	if (!h)
		return NULL;
	for (int i = 0; i < len; i++)
		sprintf(h + 2 * i, "%02x", bits[i]);
	return h;
}

static bool has_section(Elf *elf, GElf_Word type, const char *want)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (type != SHT_NULL && sh.sh_type == type)
			return true;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (want && name && !strcmp(name, want))
			return true;
	}
	return false;
}

/* "no symbols in ..." with the build-id and every place that was searched. */
static void explain_stripped(const struct syms *s, Elf *elf, const struct syms_opts *opts,
			     char *err, size_t errlen)
{
	const char *bid = s->build_id, *link = NULL;
	char dir[PATH_MAX], *slash;
	GElf_Word crc;
	size_t off = 0;

	snprintf(dir, sizeof(dir), "%s", s->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	link = dwelf_elf_gnu_debuglink(elf, &crc);
	if (link && strchr(link, '/'))
		link = NULL; /* not searched: see find_debuginfo() */

#define ADD(...)                                                                    \
	do {                                                                        \
		if (off < errlen)                                                   \
			off += snprintf(err + off, errlen - off, __VA_ARGS__);      \
	} while (0)
	ADD("no symbols in '%s' (build-id %s, stripped); searched", s->path, bid ? bid : "none");
	for (size_t i = 0; opts && i < opts->ndebuginfo_dirs; i++) {
		if (bid)
			ADD(" %s/.build-id/%.2s/%s.debug,", opts->debuginfo_dirs[i], bid, bid + 2);
		if (link)
			ADD(" %s%s/%s,", opts->debuginfo_dirs[i], dir, link);
	}
	if (bid)
		ADD(" /usr/lib/debug/.build-id/%.2s/%s.debug", bid, bid + 2);
	if (link)
		ADD(", debuglink '%s' in %s, %s/.debug, /usr/lib/debug%s", link, dir, dir, dir);
	if (!bid && !link)
		ADD(" nothing: the file has neither a build-id nor a .gnu_debuglink");
	if (getenv("DEBUGINFOD_URLS"))
		ADD(", debuginfod");
	ADD("; install its debug symbols or pass --debuginfo DIR");
#undef ADD
}

static char *debuginfo_path(const struct syms_opts *opts)
{
	size_t len = 64;
	char *p;

	for (size_t i = 0; opts && i < opts->ndebuginfo_dirs; i++)
		len += strlen(opts->debuginfo_dirs[i]) + 1;
	p = malloc(len);
	if (!p)
		return NULL;
	p[0] = '\0';
	for (size_t i = 0; opts && i < opts->ndebuginfo_dirs; i++) {
		strcat(p, opts->debuginfo_dirs[i]);
		strcat(p, ":");
	}
	strcat(p, ":.debug:/usr/lib/debug");
	return p;
}

/* the debug file search path of the syms__load() running on this thread (find_debuginfo) */
static __thread const char *search_path;

static bool debuginfod_configured(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	return urls && urls[strspn(urls, " \t")];
}

/* Whether dir/sub/name (sub may be "") exists. */
static bool exists_in(const char *dir, size_t dirlen, const char *sub, const char *name)
{
	char p[PATH_MAX];

	return snprintf(p, sizeof(p), "%.*s%s/%s", (int)dirlen, dir, sub, name) < (int)sizeof(p) &&
	       !access(p, F_OK);
}

/* Whether one of the places libdwfl searches by name has the file name, for a file in dir. */
static bool named_candidate(const char *dir, const char *name)
{
	size_t dirlen = strlen(dir);

	if (exists_in(dir, dirlen, "", name) || exists_in(dir, dirlen, "/.debug", name))
		return true;
	for (const char *p = search_path; p && *p;) {
		size_t len = strcspn(p, ":");
		char sub[PATH_MAX];

		/* "/usr/lib/debug" holds dir's tree; a relative entry is a subdirectory of dir */
		snprintf(sub, sizeof(sub), "%s%.*s", p[0] == '/' ? "" : "/", (int)len, p);
		if (len && (p[0] == '/' ? exists_in(p, len, dir, name) || exists_in(p, len, "", name) :
					  exists_in(dir, dirlen, sub, name)))
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

/*
 * Whether a search by name could find a debug file: a generous superset of
 * libdwfl's places (the file's directory and its symlink target's, the link
 * name and FILE.debug). When none exists, libdwfl would find nothing by name.
 */
static bool may_find_by_name(const char *file_name, const char *debuglink_file)
{
	char real[PATH_MAX], dirs[2][PATH_MAX], names[3][PATH_MAX] = { "", "", "" };

	if (!file_name)
		return true;
	snprintf(dirs[0], sizeof(dirs[0]), "%s", file_name);
	snprintf(dirs[1], sizeof(dirs[1]), "%s", realpath(file_name, real) ? real : file_name);
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(dirs[i], '/');

		if (snprintf(names[i], sizeof(names[i]), "%s.debug", slash ? slash + 1 : dirs[i]) >=
		    (int)sizeof(names[i]))
			return true; /* unsure: the standard search decides */
		if (slash)
			*slash = '\0';
		else
			snprintf(dirs[i], sizeof(dirs[i]), ".");
	}
	snprintf(names[2], sizeof(names[2]), "%s", debuglink_file ? debuglink_file : "");
	for (int d = 0; d < 2; d++)
		for (int n = 0; n < 3; n++)
			if (names[n][0] && named_candidate(dirs[d], names[n]))
				return true;
	return false;
}

/*
 * libdwfl's standard search, but a .gnu_debuglink naming a path rather than a
 * file name (a corrupt or hostile file: "../../dev/zero") is dropped, so that
 * it cannot send libdwfl to read any file it likes; the build-id search stays.
 *
 * When the standard search finds nothing, libdwfl loads the debuginfod client
 * (libdebuginfod and its libcurl, TLS and Kerberos libraries: 5 ms) even with
 * no DEBUGINFOD_URLS, where it asks nothing. Without servers, a file with no
 * debug file by build-id nor candidate by name is answered here instead.
 */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  GElf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	int fd;

	if (debuglink_file && strchr(debuglink_file, '/'))
		debuglink_file = NULL;
	if (!debuginfod_configured()) {
		errno = 0;
		fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
						  debuglink_file, debuglink_crc,
						  debuginfo_file_name);
		if (fd >= 0 || !may_find_by_name(file_name, debuglink_file))
			return fd;
	}
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
					    debuglink_file, debuglink_crc, debuginfo_file_name);
}

static int check_elf(const char *path, uint64_t *size, char *err, size_t errlen)
{
	unsigned char magic[4];
	struct stat st = { 0 };
	/* O_NONBLOCK: a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), ret = 0;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not an ELF file: it is %s", path,
			 S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		ret = -ENOEXEC;
	} else if (read(fd, magic, 4) != 4 || memcmp(magic, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "'%s' is not an ELF file", path);
		ret = -ENOEXEC;
	}
	*size = (uint64_t)st.st_size;
	close(fd);
	return ret;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/*
 * Where the headers or the contents of an ELF file reach past its end (a
 * partial copy, a corrupt header), in what (e.g. "section headers"), as the
 * byte they need; 0 when everything fits. libelf then quietly sees fewer
 * sections or none, which would otherwise read as a stripped file.
 */
static uint64_t past_end(Elf *elf, uint64_t fsize, char *what, size_t whatlen)
{
	uint64_t worst = fsize;
	size_t shnum, phnum, shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;

	if (!gelf_getehdr(elf, &eh))
		return 0;
#define NOTE(end, ...)                                       \
	do {                                                 \
		if ((end) > worst) {                         \
			worst = (end);                       \
			snprintf(what, whatlen, __VA_ARGS__); \
		}                                            \
	} while (0)
	/* libelf may count fewer section headers than the ELF header says when they do not fit */
	shnum = eh.e_shnum;
	if (!shnum && eh.e_shoff && elf_getshdrnum(elf, &shnum))
		shnum = 1;
	if (elf_getphdrnum(elf, &phnum))
		phnum = eh.e_phnum;
	if (eh.e_shoff)
		NOTE(add_sat(eh.e_shoff, mul_sat(shnum, eh.e_shentsize)), "section headers");
	if (eh.e_phoff)
		NOTE(add_sat(eh.e_phoff, mul_sat(phnum, eh.e_phentsize)), "program headers");
	if (elf_getshdrstrndx(elf, &shstrndx))
		shstrndx = SIZE_MAX;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = shstrndx == SIZE_MAX ? NULL : elf_strptr(elf, shstrndx, sh.sh_name);
		NOTE(add_sat(sh.sh_offset, sh.sh_size), "section %s", name ? name : "(unnamed)");
	}
#undef NOTE
	return worst > fsize ? worst : 0;
}

static int load_module(struct syms *s, Dwfl *dwfl, uint64_t fsize,
		       const struct syms_opts *opts, char *err, size_t errlen)
{
	struct loader l = { 0 };
	const unsigned char *bits;
	const char *debugfile = NULL;
	Dwfl_Module *mod;
	GElf_Addr bias, bidaddr;
	uint64_t need;
	char what[128];
	Elf *elf;
	int ret, len;

	mod = dwfl_report_offline(dwfl, s->path, s->path, -1);
	if (!mod || dwfl_report_end(dwfl, NULL, NULL) || !(elf = dwfl_module_getelf(mod, &bias))) {
		/* the magic number was right: the rest of the header is not */
		snprintf(err, errlen, "cannot read ELF file '%s': %s; the file is truncated or corrupt",
			 s->path, dwfl_errmsg(-1));
		return -ENOEXEC;
	}
	len = dwfl_module_build_id(mod, &bits, &bidaddr);
	if (len > 0 && !(s->build_id = hexstr(bits, len)))
		return -ENOMEM;
	ret = load_segments(s, elf, fsize);
	if (ret == -ENOEXEC) {
		snprintf(err, errlen, "cannot read the program headers of '%s': %s; the file is "
			 "truncated or corrupt", s->path, elf_errmsg(-1));
		return ret;
	}
	if (!ret)
		ret = collect(mod, bias, &l);
	if (!ret)
		ret = finish(s, &l);
	free(l.v);
	free(l.names);
	if (ret == -ENOMEM) {
		snprintf(err, errlen, "cannot load symbols of '%s': out of memory", s->path);
		return ret;
	}
	need = past_end(elf, fsize, what, sizeof(what));
	if (need && !s->n) {
		snprintf(err, errlen, "cannot read symbols of '%s': the file is truncated or corrupt "
			 "(its %s end at byte %" PRIu64 ", but the file has %" PRIu64 " bytes)",
			 s->path, what, need, fsize);
		return -ENOEXEC;
	}
	if (need)
		pr_warn("'%s' is truncated or corrupt (its %s end at byte %" PRIu64 ", but the file "
			"has %" PRIu64 " bytes): its symbols may be incomplete", s->path, what, need,
			fsize);
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	if (!s->n && !has_section(elf, SHT_SYMTAB, ".gnu_debugdata") && !debugfile) {
		explain_stripped(s, elf, opts, err, errlen);
		return -ENODATA;
	}
	if (!s->n) {
		snprintf(err, errlen, "no function symbols in '%s'%s%s", s->path,
			 debugfile ? " or its debug file " : "", debugfile ? debugfile : "");
		return -ENODATA;
	}
	pr_debug("%s: %zu functions, build-id %s, debug file %s", s->path, s->n,
		 s->build_id ? s->build_id : "none", debugfile ? debugfile : "none");
	/* a debug file installed later would name more: only a file's own symbols are kept */
	s->cacheable = !need && !debugfile && has_section(elf, SHT_SYMTAB, ".symtab");
	return 0;
}

struct syms *syms__load(const char *path, const struct syms_opts *opts, char *err, size_t errlen)
{
	char dummy[1], *dipath = NULL;
	Dwfl_Callbacks cb = {
		.find_debuginfo = find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};
	struct syms *s;
	Dwfl *dwfl = NULL;
	uint64_t fsize = 0;
	int ret;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	ret = check_elf(path, &fsize, err, errlen);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	s = symcache__load(path, opts);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	dipath = debuginfo_path(opts);
	if (!s || !dipath || !(s->path = strdup(path))) {
		ret = -ENOMEM;
		snprintf(err, errlen, "cannot load symbols of '%s': out of memory", path);
		goto fail;
	}
	cb.debuginfo_path = &dipath;
	search_path = dipath;
	dwfl = dwfl_begin(&cb);
	if (!dwfl) {
		ret = -ENOMEM;
		snprintf(err, errlen, "cannot start libdwfl: %s", dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_report_begin(dwfl);
	ret = load_module(s, dwfl, fsize, opts, err, errlen);
	if (ret)
		goto fail;
	dwfl_end(dwfl);
	search_path = NULL;
	free(dipath);
	if (s->cacheable)
		symcache__save(s, opts);
	return s;
fail:
	if (dwfl)
		dwfl_end(dwfl);
	search_path = NULL;
	free(dipath);
	syms__free(s);
	errno = -ret;
	return NULL;
}

void syms__free(struct syms *s)
{
	if (!s)
		return;
	while (s->blocks) {
		struct strblk *b = s->blocks;

		s->blocks = b->next;
		free(b);
	}
	while (s->extras) {
		struct extra *e = s->extras;

		s->extras = e->next;
		free(e);
	}
	free(s->path);
	free(s->build_id);
	free(s->v);
	free(s->x);
	free(s->names);
	free(s->hash);
	free(s->segs);
	free(s);
}

const char *syms__path(const struct syms *s)
{
	return s->path;
}

const char *syms__build_id(const struct syms *s)
{
	return s->build_id;
}

size_t syms__count(const struct syms *s)
{
	return s->n;
}

const struct sym *syms__at(const struct syms *syms, size_t i)
{
	struct syms *s = (struct syms *)syms;

	if (i >= s->n)
		return NULL;
	ensure_demangled(s, i);
	return &s->v[i];
}

/* ---------------------------------------------------------------------- */
/* lookups */

_Static_assert(offsetof(struct sym, vaddr) == 0, "sorted_upto() keys on vaddr");

/* First index whose vaddr > addr. */
static size_t upper_bound(const struct syms *s, uint64_t addr)
{
	return sorted_upto(s->v, s->n, sizeof(*s->v), addr);
}

static ssize_t find_index(const struct syms *s, uint64_t vaddr)
{
	size_t i = upper_bound(s, vaddr);

	if (!i)
		return -1;
	i--;
	while (i > 0 && s->v[i - 1].vaddr == s->v[i].vaddr)
		i--; /* the preferred alias comes first */
	if (!s->v[i].size || vaddr - s->v[i].vaddr < s->v[i].size)
		return i;
	return -1;
}

const struct sym *syms__find(const struct syms *syms, uint64_t vaddr, uint64_t *offset)
{
	struct syms *s = (struct syms *)syms;
	ssize_t i = find_index(s, vaddr);

	if (i < 0)
		return NULL;
	ensure_demangled(s, i);
	if (offset)
		*offset = vaddr - s->v[i].vaddr;
	return &s->v[i];
}

uint64_t syms__entry(const struct syms *s)
{
	return s->entry;
}

int syms__vaddr_of_offset(const struct syms *s, uint64_t file_offset, uint64_t *vaddr)
{
	for (size_t i = 0; i < s->nsegs; i++) {
		const struct seg *g = &s->segs[i];

		if (file_offset >= g->offset && file_offset - g->offset < g->memsz) {
			*vaddr = g->vaddr + (file_offset - g->offset);
			return 0;
		}
	}
	return -ENOENT;
}

const char *syms__short_name(const struct syms *syms, const struct sym *sym)
{
	struct syms *s = (struct syms *)syms;
	size_t i = sym - s->v;

	if (sym < s->v || i >= s->n)
		return sym->demangled ? sym->demangled : sym->name;
	ensure_base(s, i);
	return s->x[i].base ? s->x[i].base : sym->name;
}

static uint32_t name_hash(const char *p)
{
	return (uint32_t)fnv1a_str(FNV1A_INIT, p);
}

static int build_hash(struct syms *s)
{
	size_t cap = 16;

	while (cap < 2 * s->n)
		cap *= 2;
	s->hash = calloc(cap, sizeof(*s->hash));
	if (!s->hash)
		return -ENOMEM;
	s->hcap = cap;
	for (size_t i = 0; i < s->n; i++) {
		size_t h = name_hash(s->v[i].name) & (cap - 1);

		while (s->hash[h])
			h = (h + 1) & (cap - 1);
		s->hash[h] = i + 1;
	}
	return 0;
}

/* Mark every symbol whose table name is exactly name; returns how many. */
static size_t mark_exact(struct syms *s, const char *name, bool *hit)
{
	size_t h, count = 0;

	if (!s->hash && build_hash(s))
		return 0;
	for (h = name_hash(name) & (s->hcap - 1); s->hash[h]; h = (h + 1) & (s->hcap - 1)) {
		size_t i = s->hash[h] - 1;

		if (!strcmp(s->v[i].name, name) && !(s->x[i].flags & SX_COLD)) {
			hit[i] = true;
			count++;
		}
	}
	return count;
}

/* Words a demangler prints that are not in the mangled name verbatim. */
static const char *const not_verbatim[] = {
	"std", "allocator", "basic_string", "string", "char_traits", "basic_istream",
	"basic_ostream", "basic_iostream", "istream", "ostream", "iostream", "anonymous",
	"namespace", "lambda", "unnamed", "clone", "operator", "const", "volatile", "restrict",
	"void", "wchar_t", "bool", "char", "signed", "unsigned", "short", "int", "long",
	"float", "double", "__int128", "__float128", "char8_t", "char16_t", "char32_t",
	"decltype", "auto", "typeinfo", "vtable", "VTT", "for", "construction", "guard",
	"variable", "thunk", "virtual", "non", "covariant", "return", "transaction", "TLS",
	"init", "wrapper", "function", "hidden", "alias", "reference", "temporary", "global",
	"constructors", "destructors", "keyed", "to", "new", "delete", "sizeof", "alignof",
	"noexcept", "throw", "nullptr", "true", "false", "abi", "closure", "shim", "impl",
	"dyn", "mut", "as", "fn", "unsafe", "extern", "str", "i8", "i16", "i32", "i64",
	"i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64", "name",
	"template", "typename", "this", "Ellipsis", "vendor", "string_literal", "decimal32",
	"decimal64", "decimal128", "half", "java", "default", "arg", "ull", "ul", "ll",
	"_Float16", "_Float32", "_Float64", "_Float128", "_Float32x", "_Float64x", "__bf16",
	"_Accum", "_Fract", "_Sat", "__vector", "__complex", "__imaginary", "nullptr_t",
	"requires", "auto", "literal", "parm", "enable_if", "__cxx11",
};

static bool is_glob_char(int c)
{
	return c == '*' || c == '?' || c == '[' || c == ']' || c == '\\';
}

/* Could a demangler print run (touching a wildcard when partial) from nothing verbatim? */
static bool maybe_not_verbatim(const char *run, size_t len, bool partial)
{
	for (size_t k = 0; k < sizeof(not_verbatim) / sizeof(not_verbatim[0]); k++) {
		const char *w = not_verbatim[k];

		if (!partial && strlen(w) == len && !memcmp(w, run, len))
			return true;
		if (partial && memmem(w, strlen(w), run, len))
			return true;
	}
	return false;
}

#define MAX_WORDS 8

struct words {
	char buf[512];
	const char *w[MAX_WORDS];
	size_t n;
};

/*
 * Identifier runs of spec (before any '(') that every matching symbol has
 * verbatim in its mangled name: identifiers are written verbatim by the
 * Itanium and Rust manglings, except keywords, builtin types, Itanium's
 * std abbreviations and numbers, which are left out here.
 */
static void prefilter_words(const char *spec, struct words *ws)
{
	size_t end = strcspn(spec, "("), used = 0;

	ws->n = 0;
	for (size_t i = 0; i < end && ws->n < MAX_WORDS;) {
		size_t j = i;
		bool partial;

		if (!is_ident((unsigned char)spec[i])) {
			i++;
			continue;
		}
		while (j < end && is_ident((unsigned char)spec[j]))
			j++;
		partial = (i > 0 && is_glob_char((unsigned char)spec[i - 1])) ||
			  (j < end && is_glob_char((unsigned char)spec[j]));
		if (!isdigit((unsigned char)spec[i]) && j - i >= (partial ? 3 : 2) &&
		    used + j - i + 1 <= sizeof(ws->buf) &&
		    !maybe_not_verbatim(spec + i, j - i, partial)) {
			memcpy(ws->buf + used, spec + i, j - i);
			ws->buf[used + j - i] = '\0';
			ws->w[ws->n++] = ws->buf + used;
			used += j - i + 1;
		}
		i = j;
	}
	/* longest first: a rare word turns most names away with one strstr() */
	for (size_t a = 1; a < ws->n; a++)
		for (size_t b = a; b > 0 && strlen(ws->w[b]) > strlen(ws->w[b - 1]); b--) {
			const char *t = ws->w[b];

			ws->w[b] = ws->w[b - 1];
			ws->w[b - 1] = t;
		}
}

static bool has_words(const char *name, const struct words *ws)
{
	for (size_t k = 0; k < ws->n; k++)
		if (!strstr(name, ws->w[k]))
			return false;
	return true;
}

static bool glob_one(struct syms *s, size_t i, const char *spec, bool sig, char *buf,
		     size_t buflen)
{
	bool ok;
	char *full;

	if (!sig) {
		ensure_base(s, i);
		return glob_name(spec, s->x[i].base, buf, buflen);
	}
	ensure_demangled(s, i);
	full = strdup(s->v[i].demangled);
	if (!full)
		return false;
	cut_clone_note(full);
	ok = glob_name(spec, full, buf, buflen);
	free(full);
	return ok;
}

static int mark_glob(struct syms *s, const char *spec, bool *hit)
{
	bool sig = strchr(spec, '(') != NULL;
	size_t buflen = 8192;
	char *buf = malloc(buflen);
	struct words ws;

	if (!buf)
		return -ENOMEM;
	prefilter_words(spec, &ws);
	for (size_t i = 0; i < s->n; i++) {
		if (hit[i] || (s->x[i].flags & SX_COLD))
			continue;
		if (!has_words(s->v[i].name, &ws))
			continue;
		hit[i] = glob_one(s, i, spec, sig, buf, buflen);
	}
	free(buf);
	return 0;
}

/* Collect marked symbols, one per address, into a malloc'd array. */
static int gather(struct syms *s, const bool *hit, const struct sym ***out, size_t *n)
{
	size_t count = 0, k = 0;
	const struct sym **v;
	uint64_t last = 0;

	for (size_t i = 0; i < s->n; i++)
		count += hit[i];
	v = malloc((count ? count : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		if (!hit[i] || (k && s->v[i].vaddr == last))
			continue;
		ensure_demangled(s, i);
		v[k++] = &s->v[i];
		last = s->v[i].vaddr;
	}
	*out = v;
	*n = k;
	return 0;
}

static int match_names(struct syms *s, const char *spec, const struct sym ***out, size_t *n)
{
	bool *hit = calloc(s->n ? s->n : 1, sizeof(*hit));
	char *dm = NULL;
	int ret = 0;

	if (!hit)
		return -ENOMEM;
	/* a mangled spec that names a symbol is that symbol; anything else is a glob too */
	if (!mark_exact(s, spec, hit) || !(dm = syms__demangle(spec)))
		ret = mark_glob(s, spec, hit);
	free(dm);
	if (!ret)
		ret = gather(s, hit, out, n);
	free(hit);
	return ret;
}

static bool parse_u64(const char *p, uint64_t *v)
{
	char *end;

	if (!*p || *p == '-' || *p == '+' || isspace((unsigned char)*p))
		return false;
	errno = 0;
	*v = strtoull(p, &end, 0);
	return !errno && !*end;
}

static struct sym *add_extra(struct syms *s, const struct sym *base, uint64_t vaddr,
			     const char *label)
{
	struct extra *e = calloc(1, sizeof(*e));
	char *text;

	if (!e || !(text = arena_put(s, label, strlen(label)))) {
		free(e);
		return NULL;
	}
	e->sym = (struct sym){ .vaddr = vaddr, .file_offset = file_offset(s, vaddr),
			       .name = text, .demangled = text };
	if (base) {
		if (base->size > vaddr - base->vaddr)
			e->sym.size = base->size - (vaddr - base->vaddr);
		e->sym.source_file = base->source_file;
		e->sym.is_local = base->is_local;
	}
	e->next = s->extras;
	s->extras = e;
	return &e->sym;
}

static int one_result(const struct sym *sym, const struct sym ***out, size_t *n)
{
	const struct sym **v = malloc(sizeof(*v));

	if (!v)
		return -ENOMEM;
	v[0] = sym;
	*out = v;
	*n = 1;
	return 0;
}

static int resolve_addr(struct syms *s, const char *spec, uint64_t vaddr, const char *expect,
			const struct sym ***out, size_t *n, char *err, size_t errlen)
{
	const struct seg *g = find_seg(s, vaddr);
	const struct sym *base;
	uint64_t off = 0;
	char label[512];
	struct sym *e;

	if (!expect || !s->build_id || strcasecmp(expect, s->build_id)) {
		snprintf(err, errlen,
			 "raw address %s refused: it is only valid for build-id %s, but '%s' has "
			 "build-id %s; use a symbol name or the matching binary",
			 spec, expect ? expect : "(none given)", s->path,
			 s->build_id ? s->build_id : "(none)");
		return -EPERM;
	}
	if (!g || !g->exec) {
		snprintf(err, errlen, "address %s is not in an executable segment of '%s'", spec,
			 s->path);
		return -EINVAL;
	}
	base = syms__find(s, vaddr, &off);
	if (base && off)
		snprintf(label, sizeof(label), "%s+0x%" PRIx64, base->demangled, off);
	else
		snprintf(label, sizeof(label), "%s", base ? base->demangled : spec);
	e = add_extra(s, base, vaddr, label);
	return e ? one_result(e, out, n) : -ENOMEM;
}

static int resolve_offset(struct syms *s, const char *spec, const char *plus,
			  const struct sym ***out, size_t *n, char *err, size_t errlen)
{
	char *name = strndup(spec, plus - spec);
	const struct sym **v = NULL;
	uint64_t off = 0;
	size_t count = 0;
	struct sym *e;
	int ret;

	if (!name)
		return -ENOMEM;
	parse_u64(plus + 1, &off);
	ret = match_names(s, name, &v, &count);
	if (!ret && count != 1) {
		snprintf(err, errlen, "'%s' names %zu functions; NAME+OFF needs exactly one", name,
			 count);
		ret = count ? -EINVAL : 0;
		*n = 0;
		*out = NULL;
	} else if (!ret && v[0]->size && off >= v[0]->size) {
		snprintf(err, errlen, "offset 0x%" PRIx64 " is past the end of '%s' (size %" PRIu64
			 ")", off, v[0]->demangled, v[0]->size);
		ret = -EINVAL;
	} else if (!ret) {
		e = add_extra(s, v[0], v[0]->vaddr + off, spec);
		ret = e ? one_result(e, out, n) : -ENOMEM;
	}
	free(v);
	free(name);
	return ret;
}

int syms__resolve(const struct syms *syms, const char *spec, const char *expect_build_id,
		  const struct sym ***out, size_t *n, char *err, size_t errlen)
{
	struct syms *s = (struct syms *)syms;
	const char *plus = strrchr(spec, '+');
	char dummy[1];
	uint64_t v;
	int ret;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	*out = NULL;
	*n = 0;
	if (!*spec) {
		snprintf(err, errlen, "empty symbol spec");
		return -EINVAL;
	}
	if (spec[0] == '0' && (spec[1] == 'x' || spec[1] == 'X') && parse_u64(spec, &v))
		return resolve_addr(s, spec, v, expect_build_id, out, n, err, errlen);
	if (plus && plus > spec && parse_u64(plus + 1, &v))
		return resolve_offset(s, spec, plus, out, n, err, errlen);
	ret = match_names(s, spec, out, n);
	if (!ret)
		syms__ambiguous(*out, *n, err, errlen);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* ambiguity and suggestions */

static int base_cmp(const struct sym *a, const struct sym *b)
{
	size_t la = clone_base_len(a->name), lb = clone_base_len(b->name);
	int c = memcmp(a->name, b->name, la < lb ? la : lb);

	return c ? c : (la > lb) - (la < lb);
}

/* locals grouped by name without clone suffix, then file, then address */
static int amb_cmp(const void *pa, const void *pb)
{
	const struct sym *a = *(const struct sym *const *)pa, *b = *(const struct sym *const *)pb;
	int c = base_cmp(a, b);

	if (c)
		return c;
	if (!a->source_file != !b->source_file)
		return a->source_file ? -1 : 1;
	if (a->source_file && (c = strcmp(a->source_file, b->source_file)))
		return c;
	return (a->vaddr > b->vaddr) - (a->vaddr < b->vaddr);
}

/* Is b a new definition after a in amb_cmp order (same name)? */
static bool new_def(const struct sym *a, const struct sym *b)
{
	if (a->source_file || b->source_file)
		return !a->source_file || !b->source_file || strcmp(a->source_file, b->source_file);
	/* no file context: another entry point (not a clone) at another address */
	return a->vaddr != b->vaddr && clone_base_len(b->name) == strlen(b->name);
}

static void amb_note(const struct sym **l, size_t from, size_t to, size_t count, char *note,
		     size_t notelen)
{
	size_t off, shown = 0;

	off = snprintf(note, notelen, "'%.*s' names %zu different static functions (",
		       (int)clone_base_len(l[from]->name), l[from]->name, count);
	for (size_t j = from; j < to && off < notelen; j++) {
		if (j > from && !new_def(l[j - 1], l[j]))
			continue;
		if (shown++ == 6) {
			off += snprintf(note + off, notelen - off, ", ...");
			break;
		}
		off += snprintf(note + off, notelen - off, "%s%s at 0x%" PRIx64, j > from ? ", " : "",
				l[j]->source_file ? l[j]->source_file : "?", l[j]->vaddr);
	}
	if (off < notelen)
		snprintf(note + off, notelen - off, "); all are used, name one by address to pick");
}

size_t syms__ambiguous(const struct sym *const *v, size_t n, char *note, size_t notelen)
{
	const struct sym **l = malloc((n ? n : 1) * sizeof(*l));
	size_t nl = 0, worst = 0, wfrom = 0, wto = 0;

	if (!l)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i]->is_local)
			l[nl++] = v[i];
	qsort(l, nl, sizeof(*l), amb_cmp);
	for (size_t i = 0, j; i < nl; i = j) {
		size_t count = 1;

		for (j = i + 1; j < nl && !base_cmp(l[i], l[j]); j++)
			count += new_def(l[j - 1], l[j]);
		if (count > worst) {
			worst = count;
			wfrom = i;
			wto = j;
		}
	}
	if (worst >= 2 && note && notelen)
		amb_note(l, wfrom, wto, worst, note, notelen);
	free(l);
	return worst >= 2 ? worst : 0;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[257], i, j;

	if (la > 256)
		la = 256;
	if (lb > 256)
		lb = 256;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], cur;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = diag + (tolower((unsigned char)a[i - 1]) !=
					     tolower((unsigned char)b[j - 1]));

			cur = row[j - 1] + 1 < row[j] + 1 ? row[j - 1] + 1 : row[j] + 1;
			diag = row[j];
			row[j] = cur < sub ? cur : sub;
		}
	}
	return row[lb];
}

/* The last identifier of spec, lowercased, glob characters dropped. */
static void last_word(const char *spec, char *out, size_t outlen)
{
	const char *p = spec, *q;
	size_t k = 0;

	for (q = spec; *q && *q != '('; q++)
		if (q[0] == ':' && q[1] == ':')
			p = q + 2;
	for (; p < q && k + 1 < outlen; p++)
		if (is_ident((unsigned char)*p))
			out[k++] = tolower((unsigned char)*p);
	out[k] = '\0';
}

struct cand {
	size_t dist, i;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

size_t syms__suggest(const struct syms *syms, const char *spec, const char **names, size_t max)
{
	struct syms *s = (struct syms *)syms;
	struct cand *c = malloc((s->n ? s->n : 1) * sizeof(*c));
	size_t nc = 0, k = 0;
	char word[256];

	if (!c || !max)
		goto out;
	last_word(spec, word, sizeof(word));
	for (size_t i = 0; i < s->n; i++) {
		const char *b, *tail;

		if (s->x[i].flags & SX_COLD)
			continue;
		ensure_base(s, i);
		b = s->x[i].base;
		tail = strrchr(b, ':');
		tail = tail ? tail + 1 : b;
		if (word[0] && !strcasestr(b, word) && edit_distance(word, tail) > 2 + strlen(word) / 4)
			continue;
		c[nc++] = (struct cand){ edit_distance(spec, b), i };
	}
	qsort(c, nc, sizeof(*c), cand_cmp);
	for (size_t j = 0; j < nc && k < max; j++) {
		const char *b = s->x[c[j].i].base;
		size_t m;

		for (m = 0; m < k && strcmp(names[m], b); m++)
			;
		if (m == k)
			names[k++] = b;
	}
out:
	free(c);
	return k;
}

/* ---------------------------------------------------------------------- */
/* entries of the symbol cache (symcache.h keeps them): one flat record */

#define SYMS_MAGIC "ppsyms1"

struct syms_head {
	char magic[8];
	uint64_t key; /* the file's identity, hashed: an entry is only ever its own file's */
	uint64_t entry, nsyms, nsegs, names_len, build_id_len;
};

struct syms_seg_rec {
	uint64_t vaddr, memsz, offset, exec;
};

enum { REC_LOCAL = 1, REC_COLD = 2, REC_NO_FILE = 4 };

struct syms_sym_rec {
	uint64_t vaddr, size, file_offset;
	uint32_t name, source_file, flags, pad;
};

bool syms__cacheable(const struct syms *s)
{
	return s->cacheable && !s->extras && s->names_len < UINT32_MAX;
}

static size_t encoded_size(const struct syms *s)
{
	size_t blen = s->build_id ? strlen(s->build_id) : 0;

	return sizeof(struct syms_head) + s->nsegs * sizeof(struct syms_seg_rec) +
	       s->n * sizeof(struct syms_sym_rec) + s->names_len + blen;
}

static void encode_syms(const struct syms *s, char *out)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct sym *y = &s->v[i];
		struct syms_sym_rec r = {
			.vaddr = y->vaddr, .size = y->size, .file_offset = y->file_offset,
			.name = (uint32_t)(y->name - s->names),
			.source_file = y->source_file ? (uint32_t)(y->source_file - s->names) : 0,
			.flags = (y->is_local ? REC_LOCAL : 0) |
				 (s->x[i].flags & SX_COLD ? REC_COLD : 0) |
				 (y->source_file ? 0 : REC_NO_FILE),
		};

		memcpy(out + i * sizeof(r), &r, sizeof(r));
	}
}

int syms__encode(const struct syms *s, uint64_t key, char **buf, size_t *len)
{
	size_t blen = s->build_id ? strlen(s->build_id) : 0;
	struct syms_head h = { .key = key, .entry = s->entry, .nsyms = s->n, .nsegs = s->nsegs,
			       .names_len = s->names_len, .build_id_len = blen };
	char *p;

	if (!syms__cacheable(s))
		return -EINVAL;
	*len = encoded_size(s);
	*buf = p = malloc(*len);
	if (!p)
		return -ENOMEM;
	memcpy(h.magic, SYMS_MAGIC, sizeof(h.magic));
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (size_t i = 0; i < s->nsegs; i++, p += sizeof(struct syms_seg_rec)) {
		struct syms_seg_rec g = { s->segs[i].vaddr, s->segs[i].memsz, s->segs[i].offset,
					  s->segs[i].exec };

		memcpy(p, &g, sizeof(g));
	}
	encode_syms(s, p);
	p += s->n * sizeof(struct syms_sym_rec);
	memcpy(p, s->names, s->names_len);
	memcpy(p + s->names_len, s->build_id ? s->build_id : "", blen);
	return 0;
}

/* Every count fits the entry, and the names end in a NUL. */
static bool head_fits(const struct syms_head *h, size_t len)
{
	uint64_t room = len - sizeof(*h);

	if (memcmp(h->magic, SYMS_MAGIC, sizeof(h->magic)) || h->nsegs > 4096 ||
	    h->names_len > room || h->names_len >= UINT32_MAX || h->build_id_len > 256)
		return false;
	room -= h->names_len;
	if (h->build_id_len > room || h->nsegs * sizeof(struct syms_seg_rec) > room - h->build_id_len)
		return false;
	room -= h->build_id_len + h->nsegs * sizeof(struct syms_seg_rec);
	return h->nsyms == room / sizeof(struct syms_sym_rec) &&
	       room % sizeof(struct syms_sym_rec) == 0;
}

/* A record names strings inside the arena, and comes in address order. */
static bool rec_ok(const struct syms_sym_rec *r, uint64_t prev_vaddr, uint64_t names_len)
{
	return r->name < names_len && r->source_file < names_len &&
	       !(r->flags & ~(uint32_t)(REC_LOCAL | REC_COLD | REC_NO_FILE)) &&
	       prev_vaddr <= r->vaddr;
}

static int decode_syms(struct syms *s, const char *recs)
{
	uint64_t prev = 0;

	s->v = calloc(s->n ? s->n : 1, sizeof(*s->v));
	s->x = calloc(s->n ? s->n : 1, sizeof(*s->x));
	if (!s->v || !s->x)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		struct syms_sym_rec r;

		memcpy(&r, recs + i * sizeof(r), sizeof(r));
		if (!rec_ok(&r, prev, s->names_len))
			return -EINVAL;
		prev = r.vaddr;
		s->v[i] = (struct sym){
			.vaddr = r.vaddr, .size = r.size, .file_offset = r.file_offset,
			.name = s->names + r.name,
			.source_file = r.flags & REC_NO_FILE ? NULL : s->names + r.source_file,
			.is_local = r.flags & REC_LOCAL,
		};
		s->x[i].flags = r.flags & REC_COLD ? SX_COLD : 0;
	}
	return 0;
}

static int decode_segs(struct syms *s, const char *p)
{
	s->segs = calloc(s->nsegs ? s->nsegs : 1, sizeof(*s->segs));
	if (!s->segs)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsegs; i++) {
		struct syms_seg_rec g;

		memcpy(&g, p + i * sizeof(g), sizeof(g));
		s->segs[i] = (struct seg){ g.vaddr, g.memsz, g.offset, g.exec != 0 };
	}
	return 0;
}

struct syms *syms__decode(const char *path, uint64_t key, const char *buf, size_t len)
{
	struct syms_head h;
	struct syms *s;
	const char *p = buf + sizeof(h), *names;
	int err;

	if (len < sizeof(h))
		return NULL;
	memcpy(&h, buf, sizeof(h));
	if (!head_fits(&h, len) || h.key != key)
		return NULL;
	names = p + h.nsegs * sizeof(struct syms_seg_rec) + h.nsyms * sizeof(struct syms_sym_rec);
	if (h.names_len && names[h.names_len - 1])
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct syms){ .entry = h.entry, .n = h.nsyms, .nsegs = h.nsegs,
			    .names_len = h.names_len, .cacheable = true };
	s->path = strdup(path);
	s->names = malloc(h.names_len ? h.names_len : 1);
	s->build_id = h.build_id_len ? strndup(names + h.names_len, h.build_id_len) : NULL;
	err = !s->path || !s->names || (h.build_id_len && !s->build_id) ? -ENOMEM : 0;
	if (!err)
		memcpy(s->names, names, h.names_len);
	err = err ?: decode_segs(s, p);
	/* records may sit at any alignment in the entry: decode_syms copies each */
	err = err ?: decode_syms(s, p + h.nsegs * sizeof(struct syms_seg_rec));
	if (err) {
		syms__free(s);
		return NULL;
	}
	return s;
}
