// SPDX-License-Identifier: MIT
/*
 * pprof.c: the pprof profile of the stack samples (see pprof.h). Strings,
 * mappings, locations and functions are interned as samples arrive; the
 * protobuf-c messages generated from proto/profile.proto are only assembled
 * at the end, to be packed and gzip'd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "profile.h"
#include "profile.pb-c.h"
#include "runtime.h"
#include "vec.h"
#include "pprof.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__ValueType pb_value_type;

#define NLABELS 4		  /* phase, thread, process, pid */
#define KERNEL_SPACE (1ULL << 40) /* location keys: kernel frames, apart from any tgid */
#define LEAF (1ULL << 41)	  /* the sampled instruction itself, not a return address */

/* Open addressing from a two-word key to an id (ids start at 1; 0 is "absent"). */
struct key {
	uint64_t a, b;
};

struct idmap {
	struct key *keys;
	uint64_t *ids;
	size_t n, nslots;
};

struct strtab {
	char **v;
	size_t n, cap;
	struct idmap index; /* (hash, 0) -> index + 1; collisions resolved by strcmp */
};

struct pprof {
	const struct mmaps *mm;
	struct symbolizer *z;
	uint64_t period_ns, start_ts, wall_ns;
	const char *runtime;
	struct strtab strs;
	struct idmap map_ids, loc_ids, fn_ids;
	pb_mapping *maps;
	size_t nmaps, cap_maps;
	pb_location *locs;
	pb_line *lines; /* one per location */
	size_t nlocs, cap_locs, cap_lines;
	pb_function *fns;
	size_t nfns, cap_fns;
	pb_sample *samples;
	size_t nsamples, cap_samples;
	uint64_t kernel_mapping;
};

static uint64_t key_hash(struct key k)
{
	uint64_t h = k.a * 0x9e3779b97f4a7c15ULL ^ (k.b + 0x632be59bd9b4e019ULL);

	return h ^ h >> 29;
}

static int idmap_grow(struct idmap *m)
{
	size_t nslots = m->nslots ? m->nslots * 2 : 1024;
	struct key *keys = calloc(nslots, sizeof(*keys));
	uint64_t *ids = calloc(nslots, sizeof(*ids));

	if (!keys || !ids) {
		free(keys);
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->nslots; i++) {
		size_t h;

		if (!m->ids[i])
			continue;
		for (h = key_hash(m->keys[i]) & (nslots - 1); ids[h]; h = (h + 1) & (nslots - 1))
			;
		keys[h] = m->keys[i];
		ids[h] = m->ids[i];
	}
	free(m->keys);
	free(m->ids);
	m->keys = keys;
	m->ids = ids;
	m->nslots = nslots;
	return 0;
}

/* The slot of k: its id when present, else the empty slot to put it in. */
static size_t idmap_slot(const struct idmap *m, struct key k)
{
	size_t h = key_hash(k) & (m->nslots - 1);

	while (m->ids[h] && (m->keys[h].a != k.a || m->keys[h].b != k.b))
		h = (h + 1) & (m->nslots - 1);
	return h;
}

static int idmap_put(struct idmap *m, struct key k, uint64_t id)
{
	size_t h;

	if (2 * (m->n + 1) > m->nslots && idmap_grow(m))
		return -ENOMEM;
	h = idmap_slot(m, k);
	m->keys[h] = k;
	m->ids[h] = id;
	m->n++;
	return 0;
}

static uint64_t idmap_get(const struct idmap *m, struct key k)
{
	return m->nslots ? m->ids[idmap_slot(m, k)] : 0;
}

static void idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->ids);
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The string's index in the table, added if new; -1 when out of memory. */
static int64_t str_id(struct pprof *p, const char *s)
{
	struct strtab *t = &p->strs;
	struct key k = { str_hash(s), 0 };
	uint64_t id;
	char **v;

	/* equal hashes chain through b: (hash, 0), (hash, 1), ... */
	for (; (id = idmap_get(&t->index, k)); k.b++)
		if (!strcmp(t->v[id - 1], s))
			return (int64_t)id - 1;
	v = vec_grow(t->v, t->n, &t->cap, sizeof(*v), 256);
	if (!v)
		return -1;
	t->v = v;
	t->v[t->n] = strdup(s);
	if (!t->v[t->n] || idmap_put(&t->index, k, t->n + 1))
		return -1;
	return (int64_t)t->n++;
}

static bool is_file(const char *path)
{
	return path[0] == '/' && strncmp(path, "//anon", 6);
}

/* The build-id of the file mapped, only if it still is that file (never a FIFO put there). */
static int mapped_build_id(const struct mapping *m, char *hex, size_t len)
{
	int fd = mapping__open(m), err;

	if (fd < 0)
		return fd;
	err = elf_build_id_fd(fd, hex, len);
	close(fd);
	return err;
}

/* The mapping a user address is in, added at first use; 0 when unknown or out of memory. */
static uint64_t mapping_id(struct pprof *p, uint32_t tgid, uint64_t addr)
{
	const struct mapping *m = mmaps__find(p->mm, tgid, addr);
	struct key k = { (uintptr_t)m, 0 };
	uint64_t id = m ? idmap_get(&p->map_ids, k) : 0;
	char build_id[128];
	pb_mapping *v;

	if (!m || id)
		return id;
	v = vec_grow(p->maps, p->nmaps, &p->cap_maps, sizeof(*v), 64);
	if (!v)
		return 0;
	p->maps = v;
	v = &p->maps[p->nmaps];
	perftools__profiles__mapping__init(v);
	v->id = p->nmaps + 1;
	v->memory_start = m->start;
	v->memory_limit = m->end;
	v->file_offset = m->pgoff;
	v->filename = str_id(p, m->path);
	if (is_file(m->path) && !mapped_build_id(m, build_id, sizeof(build_id)))
		v->build_id = str_id(p, build_id);
	v->has_functions = true;
	if (v->filename < 0 || v->build_id < 0 || idmap_put(&p->map_ids, k, v->id))
		return 0;
	return ++p->nmaps;
}

static uint64_t function_id(struct pprof *p, const char *name)
{
	int64_t s = str_id(p, name);
	struct key k = { (uint64_t)s, 0 };
	uint64_t id = s < 0 ? 0 : idmap_get(&p->fn_ids, k);
	pb_function *v;

	if (s < 0 || id)
		return id;
	v = vec_grow(p->fns, p->nfns, &p->cap_fns, sizeof(*v), 256);
	if (!v)
		return 0;
	p->fns = v;
	perftools__profiles__function__init(&v[p->nfns]);
	v[p->nfns].id = p->nfns + 1;
	v[p->nfns].name = s;
	v[p->nfns].system_name = s;
	if (idmap_put(&p->fn_ids, k, p->nfns + 1))
		return 0;
	return ++p->nfns;
}

static int add_location(struct pprof *p, struct key k, uint64_t addr, uint64_t mapping,
			const char *name)
{
	uint64_t fn = function_id(p, name);
	pb_location *locs = vec_grow(p->locs, p->nlocs, &p->cap_locs, sizeof(*locs), 1024);
	pb_line *lines;

	if (locs)
		p->locs = locs;
	lines = locs ? vec_grow(p->lines, p->nlocs, &p->cap_lines, sizeof(*lines), 1024) : NULL;
	if (!fn || !lines)
		return -ENOMEM;
	p->lines = lines;
	perftools__profiles__location__init(&p->locs[p->nlocs]);
	perftools__profiles__line__init(&p->lines[p->nlocs]);
	p->locs[p->nlocs].id = p->nlocs + 1;
	p->locs[p->nlocs].mapping_id = mapping;
	p->locs[p->nlocs].address = addr;
	p->lines[p->nlocs].function_id = fn;
	p->nlocs++;
	return idmap_put(&p->loc_ids, k, p->nlocs);
}

/*
 * A frame's location, named as stacks.folded names it: a return address by
 * the call before it (addr - 1), the sampled instruction by itself.
 */
static uint64_t location_id(struct pprof *p, uint32_t tgid, uint64_t addr, bool kernel, bool leaf)
{
	struct key k = { (kernel ? KERNEL_SPACE : tgid) | (leaf ? LEAF : 0), addr };
	uint64_t id = idmap_get(&p->loc_ids, k), at = leaf ? addr : addr - 1;
	char name[1024];

	if (id)
		return id;
	if (kernel)
		symbolizer__kernel(p->z, addr, name, sizeof(name));
	else
		symbolizer__user(p->z, p->mm, tgid, at, name, sizeof(name));
	if (add_location(p, k, addr, kernel ? p->kernel_mapping : mapping_id(p, tgid, addr), name))
		return 0;
	return p->nlocs;
}

static int add_labels(struct pprof *p, pb_sample *s, const struct stack_tuple *t,
		      const char *process)
{
	char comm[PP_COMM_LEN + 1];
	const char *keys[NLABELS] = { "phase", "thread", "process", "pid" };
	const char *vals[NLABELS] = { phase__name(t->phase), comm, process ? process : comm, NULL };
	pb_label *l = calloc(NLABELS, sizeof(*l));

	s->label = calloc(NLABELS, sizeof(*s->label));
	if (!l || !s->label) {
		free(l);
		return -ENOMEM;
	}
	snprintf(comm, sizeof(comm), "%.*s", PP_COMM_LEN, t->comm);
	for (int i = 0; i < NLABELS; i++) {
		s->label[i] = &l[i];
		perftools__profiles__label__init(&l[i]);
	}
	s->n_label = NLABELS;
	for (int i = 0; i < NLABELS; i++) {
		l[i].key = str_id(p, keys[i]);
		l[i].str = vals[i] ? str_id(p, vals[i]) : 0;
		if (l[i].key < 0 || l[i].str < 0)
			return -ENOMEM;
	}
	l[NLABELS - 1].num = t->tgid; /* pid: a number, not a string */
	return 0;
}

int pprof__add(struct pprof *p, const struct stack_tuple *t, const char *process)
{
	pb_sample *s = vec_grow(p->samples, p->nsamples, &p->cap_samples, sizeof(*s), 1024);
	int nk = t->nkernel > 0 ? t->nkernel : 0;
	size_t n = 0;

	if (!s)
		return -ENOMEM;
	p->samples = s;
	s = &p->samples[p->nsamples++];
	perftools__profiles__sample__init(s);
	s->location_id = calloc(nk + t->nuser + 1, sizeof(*s->location_id));
	s->value = calloc(2, sizeof(*s->value));
	if (!s->location_id || !s->value)
		return -ENOMEM;
	/* innermost first: the kernel's frames, then the user stack */
	for (int i = 0; i < nk; i++)
		if (!(s->location_id[n++] = location_id(p, t->tgid, t->kernel[i], true, i == 0)))
			return -ENOMEM;
	for (int i = 0; i < t->nuser; i++)
		if (!(s->location_id[n++] = location_id(p, t->tgid, t->user[i], false, i == 0)))
			return -ENOMEM;
	s->n_location_id = n;
	s->value[0] = (int64_t)t->count;
	s->value[1] = (int64_t)(t->count * p->period_ns);
	s->n_value = 2;
	return add_labels(p, s, t, process);
}

struct pprof *pprof__new(const struct mmaps *mm, struct symbolizer *z, unsigned hz,
			 uint64_t start_ts, uint64_t wall_ns, const char *runtime)
{
	struct pprof *p = calloc(1, sizeof(*p));
	pb_mapping *k;

	if (!p)
		return NULL;
	*p = (struct pprof){ .mm = mm,
			     .z = z,
			     .period_ns = hz ? 1000000000ULL / hz : 0,
			     .start_ts = start_ts,
			     .wall_ns = wall_ns,
			     .runtime = runtime };
	/* entry 0 is the empty string; kernel frames share one mapping without a file */
	k = calloc(1, sizeof(*k));
	if (!k || str_id(p, "") != 0) {
		free(k);
		pprof__free(p);
		errno = ENOMEM;
		return NULL;
	}
	perftools__profiles__mapping__init(k);
	k->id = p->kernel_mapping = 1;
	k->filename = str_id(p, "[kernel.kallsyms]");
	k->has_functions = true;
	p->maps = k;
	p->nmaps = p->cap_maps = 1;
	return p;
}

/* The run's start on the wall clock, from its CLOCK_MONOTONIC time. */
static int64_t start_unix_ns(uint64_t start_ts)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return (int64_t)real.tv_sec * 1000000000 + real.tv_nsec -
	       ((int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec - (int64_t)start_ts);
}

/* gzip (RFC 1952, as pprof reads it) of buf[0..len) to f */
static int gzip_write(FILE *f, const uint8_t *buf, size_t len)
{
	z_stream zs = { 0 };
	unsigned char out[16384];
	int ret;

	/* 15 + 16: the largest window, with a gzip header and trailer */
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = (unsigned char *)buf;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		ret = deflate(&zs, Z_FINISH);
		if (fwrite(out, 1, sizeof(out) - zs.avail_out, f) != sizeof(out) - zs.avail_out)
			ret = Z_ERRNO;
	} while (ret == Z_OK);
	deflateEnd(&zs);
	return ret == Z_STREAM_END ? 0 : -EIO;
}

/* Pointer arrays over the interned messages, as protobuf-c wants them. */
static void **pointers(void *base, size_t n, size_t size)
{
	void **v = calloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; v && i < n; i++)
		v[i] = (char *)base + i * size;
	return v;
}

static int64_t value_type(struct pprof *p, pb_value_type *vt, const char *type, const char *unit)
{
	perftools__profiles__value_type__init(vt);
	vt->type = str_id(p, type);
	vt->unit = str_id(p, unit);
	return vt->type < 0 || vt->unit < 0 ? -1 : 0;
}

static int pack_and_write(pb_profile *pb, FILE *f)
{
	size_t len = perftools__profiles__profile__get_packed_size(pb);
	uint8_t *buf = malloc(len ? len : 1);
	int err;

	if (!buf)
		return -ENOMEM;
	perftools__profiles__profile__pack(pb, buf);
	err = gzip_write(f, buf, len);
	free(buf);
	return err;
}

int pprof__write(struct pprof *p, FILE *f)
{
	pb_profile pb = PERFTOOLS__PROFILES__PROFILE__INIT;
	pb_value_type types[2], period, *type_ptrs[2] = { &types[0], &types[1] };
	char producer[64];
	int64_t comments[2];
	int err = -ENOMEM;

	snprintf(producer, sizeof(producer), "phaseprof %s", PHASEPROF_VERSION);
	comments[0] = str_id(p, producer);
	comments[1] = str_id(p, p->runtime ? p->runtime : "");
	if (value_type(p, &types[0], "samples", "count") ||
	    value_type(p, &types[1], "cpu", "nanoseconds") ||
	    value_type(p, &period, "cpu", "nanoseconds") || comments[0] < 0 || comments[1] < 0)
		return -ENOMEM;
	for (size_t i = 0; i < p->nlocs; i++) {
		p->locs[i].line = calloc(1, sizeof(*p->locs[i].line));
		if (!p->locs[i].line)
			return -ENOMEM;
		p->locs[i].line[0] = &p->lines[i];
		p->locs[i].n_line = 1;
	}
	pb.n_sample_type = 2;
	pb.sample_type = type_ptrs;
	pb.n_sample = p->nsamples;
	pb.sample = (pb_sample **)pointers(p->samples, p->nsamples, sizeof(*p->samples));
	pb.n_mapping = p->nmaps;
	pb.mapping = (pb_mapping **)pointers(p->maps, p->nmaps, sizeof(*p->maps));
	pb.n_location = p->nlocs;
	pb.location = (pb_location **)pointers(p->locs, p->nlocs, sizeof(*p->locs));
	pb.n_function = p->nfns;
	pb.function = (pb_function **)pointers(p->fns, p->nfns, sizeof(*p->fns));
	pb.n_string_table = p->strs.n;
	pb.string_table = p->strs.v;
	pb.time_nanos = start_unix_ns(p->start_ts);
	pb.duration_nanos = (int64_t)p->wall_ns;
	pb.period_type = &period;
	pb.period = (int64_t)p->period_ns;
	pb.n_comment = 2;
	pb.comment = comments;
	pb.default_sample_type = types[1].type;
	if (pb.sample && pb.mapping && pb.location && pb.function)
		err = pack_and_write(&pb, f);
	free(pb.sample);
	free(pb.mapping);
	free(pb.location);
	free(pb.function);
	return err;
}

void pprof__free(struct pprof *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsamples; i++) {
		free(p->samples[i].location_id);
		free(p->samples[i].value);
		if (p->samples[i].label)
			free(p->samples[i].label[0]);
		free(p->samples[i].label);
	}
	for (size_t i = 0; i < p->nlocs; i++)
		free(p->locs[i].line);
	for (size_t i = 0; i < p->strs.n; i++)
		free(p->strs.v[i]);
	free(p->strs.v);
	idmap_free(&p->strs.index);
	idmap_free(&p->map_ids);
	idmap_free(&p->loc_ids);
	idmap_free(&p->fn_ids);
	free(p->samples);
	free(p->maps);
	free(p->locs);
	free(p->lines);
	free(p->fns);
	free(p);
}
