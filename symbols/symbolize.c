// SPDX-License-Identifier: MIT
/* symbolize.c: names for sampled addresses, see symbolize.h */
#define _GNU_SOURCE
#define PR_DOMAIN "symbolize"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "log.h"
#include "privs.h"
#include "symbolize.h"
#include "kallsyms.h"
#include "needed.h"
#include "fileread.h"
#include "sorted.h"
#include "vec.h"

/* an address range with a name: perf-map entries and vDSO symbols */
struct range {
	uint64_t start, size;
	char *name;
};

struct ranges {
	struct range *v;
	size_t n, cap;
};

struct module {
	char *path;
	struct syms *syms; /* NULL when the file has no symbols */
	bool borrowed;     /* someone else's, not freed here */
	/* loaded ahead by name (symbolizer__load_needed): the file it was, for the first map */
	bool ahead;
	dev_t dev;
	ino_t ino;
};

struct perfmap {
	uint32_t pid;
	struct ranges r;
};

struct symbolizer {
	struct syms_opts opts;
	struct module *mods;
	size_t nmods, mods_cap;
	struct perfmap *maps;
	size_t nmaps, maps_cap;
	struct kallsyms *kernel;     /* from the cache, or all of /proc/kallsyms */
	struct kallsyms *kernel_all; /* /proc/kallsyms when the cache did not cover an address */
	bool kernel_loaded, kernel_all_tried;
	struct ranges vdso; /* offsets into the vDSO image, from phaseprof's own copy */
	bool vdso_loaded;
	uint64_t named, unknown;
};

struct symbolizer *symbolizer__new(const struct syms_opts *opts)
{
	struct symbolizer *z = calloc(1, sizeof(*z));

	if (z && opts)
		z->opts = *opts;
	return z;
}

static int ranges_add(struct ranges *r, uint64_t start, uint64_t size, const char *name,
		      size_t len)
{
	struct range *v = vec_grow(r->v, r->n, &r->cap, sizeof(*v), 256);

	if (!v)
		return -ENOMEM;
	r->v = v;
	r->v[r->n].name = strndup(name, len);
	if (!r->v[r->n].name)
		return -ENOMEM;
	r->v[r->n].start = start;
	r->v[r->n++].size = size;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void ranges_sort(struct ranges *r)
{
	if (r->n) /* r->v is NULL when empty, and qsort's base must not be */
		qsort(r->v, r->n, sizeof(*r->v), cmp_range);
}

_Static_assert(offsetof(struct range, start) == 0, "sorted_upto() keys on start");

/* The range with the largest start <= addr; with size 0 (kallsyms), it runs to the next. */
static const struct range *ranges_find(const struct ranges *r, uint64_t addr)
{
	size_t lo = sorted_upto(r->v, r->n, sizeof(*r->v), addr);

	if (!lo)
		return NULL;
	if (r->v[lo - 1].size && addr - r->v[lo - 1].start >= r->v[lo - 1].size)
		return NULL;
	return &r->v[lo - 1];
}

static void ranges_free(struct ranges *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
}

/* A hex number without 0x (perf maps never have it, but tolerate it), at most 64 bits. */
static const char *parse_hex(const char *p, const char *end, uint64_t *v)
{
	const char *start;

	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	start = p;
	*v = 0;
	for (; p < end && isxdigit((unsigned char)*p); p++) {
		if (*v >> 60)
			return NULL; /* more than 16 significant digits */
		*v = *v << 4 | (uint64_t)(isdigit((unsigned char)*p) ? *p - '0' :
					  tolower((unsigned char)*p) - 'a' + 10);
	}
	return p > start ? p : NULL;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* One line without its '\n': "START SIZE NAME"; false when it is not one. */
static bool parse_perfmap_line(const char *p, const char *end, uint64_t *start, uint64_t *size,
			       const char **name, size_t *namelen)
{
	const char *q;

	p = skip_blanks(p, end);
	if (!(q = parse_hex(p, end, start)) || q == end || (*q != ' ' && *q != '\t'))
		return false;
	p = skip_blanks(q, end);
	if (!(q = parse_hex(p, end, size)) || q == end || (*q != ' ' && *q != '\t'))
		return false;
	p = skip_blanks(q, end);
	while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* a NUL ends the name (it is a C string from here on) */
	q = memchr(p, '\0', end - p);
	*name = p;
	*namelen = (q ? q : end) - p;
	return *namelen > 0;
}

ssize_t symbolizer__parse_perfmap(const char *buf, size_t len, perfmap_fn fn, void *ctx)
{
	const char *p = buf, *end = buf + len;
	ssize_t count = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end;
		uint64_t start, size;
		const char *name;
		size_t namelen;
		int ret;

		if (parse_perfmap_line(p, eol, &start, &size, &name, &namelen)) {
			ret = fn(ctx, start, size, name, namelen);
			if (ret < 0)
				return ret;
			count++;
		}
		p = nl ? nl + 1 : end;
	}
	return count;
}

/* V8 writes a line per compiled function: a big app's map is tens of MiB */
#define PERFMAP_MAX_BYTES (256 << 20)

static int perfmap_add(void *ctx, uint64_t start, uint64_t size, const char *name, size_t len)
{
	return ranges_add(ctx, start, size, name, len);
}

/*
 * /tmp/perf-PID.map: "START SIZE NAME" per line, hex without 0x (V8, wasmtime,
 * WAMR). As perf does, only a regular file of the target's user (or root) is
 * read, never through a symlink or a FIFO, and no more than PERFMAP_MAX_BYTES.
 * Its fd, or -1.
 */
static int open_perfmap(uint32_t pid)
{
	char path[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/tmp/perf-%u.map", pid);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (st.st_uid != privs_user_uid() && st.st_uid != 0) || st.st_size > PERFMAP_MAX_BYTES) {
		pr_debug("ignoring %s: not a regular file of uid %u or root under %d MiB", path,
			 (unsigned)privs_user_uid(), PERFMAP_MAX_BYTES >> 20);
		close(fd);
		return -1;
	}
	return fd;
}

static void load_perfmap(struct ranges *r, uint32_t pid)
{
	char *buf = NULL;
	size_t len = 0;
	int fd = open_perfmap(pid), err;

	if (fd < 0)
		return;
	/* read once, when first needed: all of it */
	err = read_whole_fd(fd, PERFMAP_MAX_BYTES, &buf, &len);
	close(fd);
	if (err)
		return;
	symbolizer__parse_perfmap(buf, len, perfmap_add, r);
	free(buf);
	ranges_sort(r);
}

/* pid's perf map, an empty one added when there is none yet (*added tells). */
static struct perfmap *perfmap_slot(struct symbolizer *z, uint32_t pid, bool *added)
{
	struct perfmap *v;

	*added = false;
	for (size_t i = 0; i < z->nmaps; i++)
		if (z->maps[i].pid == pid)
			return &z->maps[i];
	v = vec_grow(z->maps, z->nmaps, &z->maps_cap, sizeof(*v), 4);
	if (!v)
		return NULL;
	z->maps = v;
	z->maps[z->nmaps] = (struct perfmap){ .pid = pid };
	*added = true;
	return &z->maps[z->nmaps++];
}

static const struct ranges *perfmap_of(struct symbolizer *z, uint32_t pid)
{
	bool added;
	struct perfmap *pm = perfmap_slot(z, pid, &added);

	if (!pm)
		return NULL;
	if (added)
		load_perfmap(&pm->r, pid);
	return &pm->r;
}

int symbolizer__set_perfmap(struct symbolizer *z, uint32_t pid, const char *buf, size_t len)
{
	bool added;
	struct perfmap *pm = perfmap_slot(z, pid, &added);
	ssize_t ret;

	if (!pm)
		return -ENOMEM;
	ranges_free(&pm->r);
	pm->r = (struct ranges){ 0 };
	ret = symbolizer__parse_perfmap(buf, len, perfmap_add, &pm->r);
	ranges_sort(&pm->r);
	return ret < 0 ? (int)ret : 0;
}

static struct module *module_add(struct symbolizer *z, const char *path)
{
	struct module *v = vec_grow(z->mods, z->nmods, &z->mods_cap, sizeof(*v), 16);

	if (!v)
		return NULL;
	z->mods = v;
	v = &z->mods[z->nmods];
	*v = (struct module){ .path = strdup(path) };
	if (!v->path)
		return NULL;
	z->nmods++;
	return v;
}

/* Whether a module loaded ahead by name is not the file map maps (checked once). */
static bool stale(struct module *m, const struct mapping *map)
{
	m->ahead = false;
	return map->ino && (m->ino != map->ino || major(m->dev) != map->maj ||
			    minor(m->dev) != map->min);
}

/*
 * The symbols of a file, loaded once. A mapped file (map) is loaded only if
 * its name still leads to the file that was mapped, a regular file. libdwfl
 * opens it again by name: that reopen runs with the invoking user's file
 * identity (privs.h), so a swap in between reaches nothing the user could not.
 */
static struct syms *module_syms(struct symbolizer *z, const char *path,
				const struct mapping *map)
{
	struct module *m = NULL;
	int fd;

	for (size_t i = 0; i < z->nmods && !m; i++)
		if (!strcmp(z->mods[i].path, path))
			m = &z->mods[i];
	if (m && !(map && m->ahead))
		return m->syms;
	if (m && !stale(m, map))
		return m->syms;
	if (m) { /* loaded ahead, but another file was mapped under that name: load that one */
		syms__free(m->syms);
		m->syms = NULL;
		m->ahead = false;
	}
	if (!m && !(m = module_add(z, path)))
		return NULL;
	fd = map ? mapping__open(map) : 0;
	if (fd < 0)
		return NULL;
	if (map)
		close(fd);
	m->syms = syms__load(path, &z->opts, NULL, 0);
	return m->syms;
}

int symbolizer__lend(struct symbolizer *z, struct syms *syms)
{
	struct module *m = module_add(z, syms__path(syms));

	if (!m)
		return -ENOMEM;
	m->syms = syms;
	m->borrowed = true;
	return 0;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static enum frame_kind from_file(struct symbolizer *z, const struct mapping *map, uint64_t addr,
				 char *buf, size_t len)
{
	uint64_t off = addr - map->start + map->pgoff, vaddr, in;
	struct syms *s = module_syms(z, map->path, map);
	const struct sym *sym;

	if (s && !syms__vaddr_of_offset(s, off, &vaddr) && (sym = syms__find(s, vaddr, &in))) {
		snprintf(buf, len, "%s", syms__short_name(s, sym));
		return FRAME_USER;
	}
	/* a stripped ld.so's entry code is the bottom of the stack while it loads the program */
	if (s && !syms__vaddr_of_offset(s, off, &vaddr) && syms__entry(s) &&
	    vaddr - syms__entry(s) < 64) {
		snprintf(buf, len, "_start");
		return FRAME_USER;
	}
	snprintf(buf, len, "[%s+0x%" PRIx64 "]", basename_of(map->path), off);
	return FRAME_UNKNOWN;
}

/* The image's load address: its first PT_LOAD's vaddr (0 on x86-64). */
static uint64_t vdso_base(const Elf64_Ehdr *eh)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);

	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			return ph[i].p_vaddr;
	return 0;
}

/*
 * Every process of one kernel maps the same vDSO image, phaseprof's own
 * included (AT_SYSINFO_EHDR): its .dynsym names the target's [vdso] frames,
 * by their offset into the mapping. Weak aliases (clock_gettime) are skipped
 * for the functions themselves (__vdso_clock_gettime).
 */
static void load_vdso(struct ranges *r)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Shdr *sh;
	uint64_t base;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return;
	sh = (const Elf64_Shdr *)((const char *)eh + eh->e_shoff);
	base = vdso_base(eh);
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym = (const Elf64_Sym *)((const char *)eh + sh[i].sh_offset);
		const char *str;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
			continue;
		str = (const char *)eh + sh[sh[i].sh_link].sh_offset;
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++)
			if (ELF64_ST_TYPE(sym[k].st_info) == STT_FUNC && sym[k].st_size &&
			    ELF64_ST_BIND(sym[k].st_info) != STB_WEAK &&
			    sym[k].st_name < sh[sh[i].sh_link].sh_size &&
			    ranges_add(r, sym[k].st_value - base, sym[k].st_size, str + sym[k].st_name,
				       strlen(str + sym[k].st_name)))
				return;
	}
	ranges_sort(r);
}

/* A [vdso] frame by its function, "[vdso]" when none covers it. */
static enum frame_kind from_vdso(struct symbolizer *z, const struct mapping *map, uint64_t addr,
				 char *buf, size_t len)
{
	const struct range *r;

	if (!z->vdso_loaded) {
		load_vdso(&z->vdso);
		z->vdso_loaded = true;
	}
	r = ranges_find(&z->vdso, addr - map->start);
	snprintf(buf, len, "%s", r ? r->name : "[vdso]");
	return r ? FRAME_USER : FRAME_UNKNOWN;
}

enum frame_kind symbolizer__user(struct symbolizer *z, const struct mmaps *m, uint32_t pid,
				 uint64_t addr, char *buf, size_t len)
{
	const struct mapping *map = mmaps__find(m, pid, addr);
	const struct ranges *jit;
	const struct range *r;
	enum frame_kind kind;

	if (map && map->path[0] == '/' && map->path[1] != '/') {
		kind = from_file(z, map, addr, buf, len);
	} else if (map && !strcmp(map->path, "[vdso]")) {
		kind = from_vdso(z, map, addr, buf, len);
	} else if ((jit = perfmap_of(z, pid)) && (r = ranges_find(jit, addr))) {
		snprintf(buf, len, "%s", r->name);
		kind = FRAME_JIT;
	} else {
		/*
		 * perf names anonymous memory "//anon"; [vdso] and [heap] name
		 * themselves. An address in no mapping is "[unknown frame]", never
		 * "[unknown]": that is the generic fallback's phase frame.
		 */
		if (map && map->path[0] == '[')
			snprintf(buf, len, "%s", map->path);
		else
			snprintf(buf, len, "%s", map ? "[anon]" : "[unknown frame]");
		kind = FRAME_UNKNOWN;
	}
	if (kind == FRAME_UNKNOWN)
		z->unknown++;
	else
		z->named++;
	return kind;
}

void symbolizer__load_file(struct symbolizer *z, const char *path)
{
	module_syms(z, path, NULL);
}

/* A library's symbols, loaded by name: its device and inode are kept to check the mapping. */
static int load_ahead(void *ctx, const char *path)
{
	struct symbolizer *z = ctx;
	struct module *m;
	struct stat st;

	for (size_t i = 0; i < z->nmods; i++)
		if (!strcmp(z->mods[i].path, path))
			return 0;
	if (stat(path, &st) || !S_ISREG(st.st_mode) || !(m = module_add(z, path)))
		return 0;
	*m = (struct module){ .path = m->path, .ahead = true, .dev = st.st_dev, .ino = st.st_ino };
	m->syms = syms__load(path, &z->opts, NULL, 0);
	return 0;
}

int symbolizer__load_needed(struct symbolizer *z, const char *path)
{
	return needed__each(path, load_ahead, z);
}

bool symbolizer__loaded(const struct symbolizer *z, const char *path)
{
	for (size_t i = 0; i < z->nmods; i++)
		if (!strcmp(z->mods[i].path, path))
			return z->mods[i].syms != NULL;
	return false;
}

void symbolizer__load_kernel(struct symbolizer *z)
{
	if (!z->kernel_loaded) {
		z->kernel = kallsyms__load();
		z->kernel_loaded = true;
	}
}

/* addr's name: from the cache where it covers addr, else from all of /proc/kallsyms. */
static const char *kernel_name(struct symbolizer *z, uint64_t addr)
{
	const char *name;

	symbolizer__load_kernel(z);
	if (!z->kernel)
		return NULL;
	name = kallsyms__find(z->kernel, addr);
	if (name || kallsyms__complete(z->kernel))
		return name;
	if (!z->kernel_all_tried) {
		pr_debug("kernel address 0x%" PRIx64 " outside the cached symbols (BPF, trampolines, "
			 "a module's last function): reading /proc/kallsyms",
			 addr);
		z->kernel_all = kallsyms__read();
		z->kernel_all_tried = true;
	}
	return z->kernel_all ? kallsyms__find(z->kernel_all, addr) : NULL;
}

enum frame_kind symbolizer__kernel(struct symbolizer *z, uint64_t addr, char *buf, size_t len)
{
	const char *name = kernel_name(z, addr);

	if (!name) {
		snprintf(buf, len, "[kernel]");
		z->unknown++;
		return FRAME_UNKNOWN;
	}
	snprintf(buf, len, "%s", name);
	z->named++;
	return FRAME_KERNEL;
}

void symbolizer__counts(const struct symbolizer *z, uint64_t *named, uint64_t *unknown)
{
	*named = z->named;
	*unknown = z->unknown;
}

void symbolizer__free(struct symbolizer *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->nmods; i++) {
		free(z->mods[i].path);
		if (z->mods[i].syms && !z->mods[i].borrowed)
			syms__free(z->mods[i].syms);
	}
	for (size_t i = 0; i < z->nmaps; i++)
		ranges_free(&z->maps[i].r);
	kallsyms__free(z->kernel);
	kallsyms__free(z->kernel_all);
	ranges_free(&z->vdso);
	free(z->mods);
	free(z->maps);
	free(z);
}
