// SPDX-License-Identifier: MIT
/* mmaps.c: memory maps from perf records, see mmaps.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "vec.h"
#include "mmaps.h"
#include "perf_ring.h"

#define RING_PAGES 64 /* per CPU; mmap records are few */

struct proc {
	uint32_t pid;
	struct mapping *v;
	size_t n, cap;
};

struct mmaps {
	int ncpu;
	int *fds;
	void **rings;
	size_t page;
	struct proc *procs;
	size_t nprocs, cap;
	uint64_t lost;
	char **paths; /* interned file names */
	size_t npaths, pathcap;
};

static struct proc *proc_get(struct mmaps *m, uint32_t pid, bool create)
{
	struct proc *procs;

	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i].pid == pid)
			return &m->procs[i];
	if (!create)
		return NULL;
	procs = vec_grow(m->procs, m->nprocs, &m->cap, sizeof(*procs), 8);
	if (!procs)
		return NULL;
	m->procs = procs;
	m->procs[m->nprocs] = (struct proc){ .pid = pid };
	return &m->procs[m->nprocs++];
}

static const char *intern(struct mmaps *m, const char *path)
{
	char **paths;

	for (size_t i = m->npaths; i-- > 0;)
		if (!strcmp(m->paths[i], path))
			return m->paths[i];
	paths = vec_grow(m->paths, m->npaths, &m->pathcap, sizeof(*paths), 32);
	if (!paths)
		return NULL;
	m->paths = paths;
	m->paths[m->npaths] = strdup(path);
	return m->paths[m->npaths] ? m->paths[m->npaths++] : NULL;
}

static void add_mapping(struct mmaps *m, struct proc *p, const struct mapping *map)
{
	struct mapping *v = vec_grow(p->v, p->n, &p->cap, sizeof(*v), 32);

	if (!v)
		return;
	p->v = v;
	p->v[p->n++] = *map;
}

struct mmap2_record {
	struct perf_event_header h;
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	uint32_t maj, min;
	uint64_t ino, ino_generation;
	uint32_t prot, flags;
	char filename[];
};

struct task_record {
	struct perf_event_header h;
	uint32_t pid, ppid, tid, ptid;
	uint64_t time;
};

struct comm_record {
	struct perf_event_header h;
	uint32_t pid, tid;
	char comm[];
};

static void on_mmap2(struct mmaps *m, const struct mmap2_record *r, size_t size)
{
	size_t max = size - sizeof(*r);
	char name[4096];
	struct mapping map;
	struct proc *p;

	if (size < sizeof(*r))
		return;
	snprintf(name, sizeof(name), "%.*s", (int)strnlen(r->filename, max), r->filename);
	p = proc_get(m, r->pid, true);
	map = (struct mapping){ r->addr, r->addr + r->len, r->pgoff, intern(m, name),
				(r->prot & PROT_EXEC) != 0, r->ino, r->maj, r->min };
	if (p && map.path)
		add_mapping(m, p, &map);
}

/* A new process starts with a copy of its parent's address space. */
static void on_fork(struct mmaps *m, const struct task_record *r)
{
	struct proc *parent, *child;

	if (r->pid == r->ppid)
		return; /* a thread */
	child = proc_get(m, r->pid, true); /* first: creating may move the array */
	parent = proc_get(m, r->ppid, false);
	if (!child || !parent)
		return;
	/* a reused pid: what the old process had mapped is gone (and the maps do not add up) */
	child->n = 0;
	for (size_t i = 0; i < parent->n; i++)
		add_mapping(m, child, &parent->v[i]);
}

/* exec replaces the address space: what was mapped before is gone */
static void on_comm(struct mmaps *m, const struct comm_record *r)
{
	struct proc *p;

	if (!(r->h.misc & PERF_RECORD_MISC_COMM_EXEC))
		return;
	p = proc_get(m, r->pid, false);
	if (p)
		p->n = 0;
}

static void on_record(struct mmaps *m, const struct perf_event_header *h)
{
	switch (h->type) {
	case PERF_RECORD_MMAP2:
		on_mmap2(m, (const void *)h, h->size);
		break;
	case PERF_RECORD_FORK:
		if (h->size >= sizeof(struct task_record))
			on_fork(m, (const void *)h);
		break;
	case PERF_RECORD_COMM:
		if (h->size >= sizeof(struct comm_record))
			on_comm(m, (const void *)h);
		break;
	case PERF_RECORD_LOST:
		m->lost++;
		break;
	}
}

/* The records of a ring are copied out (they may wrap) into an aligned buffer this big. */
#define MAX_RECORD 8192

void mmaps__feed(struct mmaps *m, const void *buf, size_t len)
{
	const char *p = buf;
	union {
		struct perf_event_header h;
		char bytes[MAX_RECORD];
	} rec;

	while (len >= sizeof(struct perf_event_header)) {
		size_t size;

		memcpy(&rec.h, p, sizeof(rec.h));
		size = rec.h.size;
		if (size < sizeof(rec.h) || size > len || size > sizeof(rec))
			break;
		memcpy(rec.bytes, p, size);
		on_record(m, &rec.h);
		p += size;
		len -= size;
	}
}

/*
 * One drain's records of every CPU, to be taken in time order: ld.so may map
 * libc on another CPU than the exec that cleared the maps before it, and
 * taking one ring after the other would let the exec wipe libc's mapping.
 */
struct drained {
	char *buf; /* the records, end to end (sizes are multiples of 8) */
	size_t len, cap;
	struct timed {
		uint64_t time;
		size_t off;
	} *v;
	size_t n, vcap;
	bool oom;
};

/* The record's time: its sample_id (PERF_SAMPLE_TIME alone) is its last 8 bytes. */
static uint64_t record_time(const struct perf_event_header *h)
{
	uint64_t t = 0;

	if (h->size >= sizeof(*h) + sizeof(t))
		memcpy(&t, (const char *)h + h->size - sizeof(t), sizeof(t));
	return t;
}

static void take_record(void *ctx, const struct perf_event_header *h)
{
	struct drained *d = ctx;
	struct timed *v;

	if (!d->oom && d->len + h->size > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16384;
		char *buf;

		while (cap < d->len + h->size)
			cap *= 2;
		buf = realloc(d->buf, cap);
		d->oom = !buf;
		if (buf) {
			d->buf = buf;
			d->cap = cap;
		}
	}
	v = d->oom ? NULL : vec_grow(d->v, d->n, &d->vcap, sizeof(*v), 64);
	if (!v) {
		d->oom = true;
		return;
	}
	d->v = v;
	memcpy(d->buf + d->len, h, h->size);
	d->v[d->n++] = (struct timed){ record_time(h), d->len };
	d->len += h->size;
}

static int cmp_timed(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off; /* a ring's own order */
}

void mmaps__read(struct mmaps *m)
{
	struct drained d = { 0 };

	if (!m)
		return;
	for (int i = 0; i < m->ncpu; i++)
		if (m->rings[i])
			perf_ring_drain(m->rings[i], m->page, (size_t)RING_PAGES * m->page,
					take_record, &d);
	if (d.oom)
		m->lost++; /* said with the lost records: the maps may miss a mapping */
	if (d.n)
		qsort(d.v, d.n, sizeof(*d.v), cmp_timed);
	for (size_t i = 0; i < d.n; i++)
		on_record(m, (const struct perf_event_header *)(d.buf + d.v[i].off));
	free(d.buf);
	free(d.v);
}

static int open_cpu(struct mmaps *m, pid_t pid, int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_DUMMY,
		.mmap = 1,
		.mmap2 = 1,
		.comm = 1,
		.comm_exec = 1,
		.task = 1,
		.inherit = 1,
		.exclude_kernel = 1,
		/* every record ends with its time, one clock on every CPU: see mmaps__read() */
		.sample_id_all = 1,
		.sample_type = PERF_SAMPLE_TIME,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
	};
	int fd = perf_event_fd(&attr, pid, cpu);
	void *ring;

	if (fd < 0)
		return fd == -ENODEV ? 0 : fd; /* an offline CPU */
	ring = mmap(NULL, (RING_PAGES + 1) * m->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		int err = -errno;

		close(fd);
		return err;
	}
	m->fds[cpu] = fd;
	m->rings[cpu] = ring;
	return 0;
}

int mapping__open(const struct mapping *map)
{
	int fd = open(map->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (map->ino && (st.st_ino != map->ino || major(st.st_dev) != map->maj ||
			  minor(st.st_dev) != map->min))) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

struct mmaps *mmaps__new(void)
{
	return calloc(1, sizeof(struct mmaps));
}

/* One /proc/PID/maps line: "start-end perms offset dev inode   path". */
static int parse_maps_line(char *line, struct mapping *map, const char **path)
{
	unsigned long long start, end, pgoff, ino;
	unsigned maj, min;
	char perms[8];
	int pos = -1;
	char *p;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff, &maj,
		   &min, &ino, &pos) < 7 ||
	    pos < 0 || end <= start)
		return -EINVAL;
	p = line + pos;
	p[strcspn(p, "\n")] = '\0';
	*map = (struct mapping){ start, end, pgoff, NULL, strchr(perms, 'x') != NULL, ino, maj, min };
	*path = *p ? p : "//anon";
	return 0;
}

struct mmaps *mmaps__from_proc(pid_t pid)
{
	struct mmaps *m = mmaps__new();
	char file[64], line[4096 + 256];
	struct proc *p;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/maps", (int)pid);
	f = fopen(file, "re");
	p = m && f ? proc_get(m, (uint32_t)pid, true) : NULL;
	while (p && fgets(line, sizeof(line), f)) {
		struct mapping map;
		const char *path;
		int c;

		if (!strchr(line, '\n')) /* longer than any path: drop the rest of the line */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		if (parse_maps_line(line, &map, &path))
			continue;
		map.path = intern(m, path);
		if (map.path)
			add_mapping(m, p, &map);
	}
	if (!p) {
		int err = errno ? errno : ENOMEM;

		if (f)
			fclose(f);
		mmaps__free(m);
		errno = err;
		return NULL;
	}
	fclose(f);
	return m;
}

struct mmaps *mmaps__open(pid_t pid)
{
	struct mmaps *m = calloc(1, sizeof(*m));
	int err = 0;

	if (!m)
		return NULL;
	m->page = (size_t)sysconf(_SC_PAGESIZE);
	m->ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
	m->fds = malloc(m->ncpu * sizeof(*m->fds));
	m->rings = calloc(m->ncpu, sizeof(*m->rings));
	if (!m->fds || !m->rings)
		err = -ENOMEM;
	for (int i = 0; !err && i < m->ncpu; i++)
		m->fds[i] = -1;
	for (int i = 0; !err && i < m->ncpu; i++)
		err = open_cpu(m, pid, i);
	if (err) {
		mmaps__free(m);
		errno = -err;
		return NULL;
	}
	return m;
}

const struct mapping *mmaps__find(const struct mmaps *m, uint32_t pid, uint64_t addr)
{
	const struct proc *p = NULL;

	for (size_t i = 0; m && i < m->nprocs; i++)
		if (m->procs[i].pid == pid)
			p = &m->procs[i];
	for (size_t i = p ? p->n : 0; i-- > 0;)
		if (addr >= p->v[i].start && addr < p->v[i].end)
			return &p->v[i];
	return NULL;
}

uint64_t mmaps__lost(const struct mmaps *m)
{
	return m ? m->lost : 0;
}

void mmaps__free(struct mmaps *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->ncpu && m->fds && m->rings; i++) {
		if (m->rings[i])
			munmap(m->rings[i], (RING_PAGES + 1) * m->page);
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	}
	for (size_t i = 0; i < m->nprocs; i++)
		free(m->procs[i].v);
	for (size_t i = 0; i < m->npaths; i++)
		free(m->paths[i]);
	free(m->paths);
	free(m->procs);
	free(m->fds);
	free(m->rings);
	free(m);
}
