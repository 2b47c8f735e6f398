// SPDX-License-Identifier: MIT
/* perf_backend.c: phase timing through tracefs and perf_event_open, see perf_backend.h */
#define _GNU_SOURCE
#define PR_DOMAIN "perf"
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <traceevent/event-parse.h>
#include "log.h"
#include "perf_backend.h"
#include "phases.h"
#include "plan.h"
#include "privs.h"
#include "tracefs.h"

enum rec_kind { K_SITE, K_EXEC, K_FORK, K_EXIT, K_SWITCH };

static const char *const sched_events[4] = {
	"sched_process_exec", "sched_process_fork", "sched_process_exit", "sched_switch",
};

struct perf_stream {
	int fd;
	uint64_t id; /* PERF_SAMPLE_IDENTIFIER: inherited copies report their parent's */
	enum rec_kind kind;
	uint64_t cookie;
};

struct perf_ring {
	int fd; /* the event whose buffer it is; the CPU's other events write here too */
	void *base;
	size_t len;
};

/* A sample reduced to what phases need; a/b: fork child/parent, switch prev/next, exit group_dead */
struct perf_rec {
	uint64_t ts, cookie;
	uint32_t kind, pid, tid, cpu;
	int32_t a, b;
	char comm[PP_COMM_LEN], comm2[PP_COMM_LEN];
};

/* ---- setup ---- */

static int read_text(const char *path, char **out, size_t *len)
{
	char buf[4096];
	FILE *m = open_memstream(out, len);
	struct fs_ident fs;
	ssize_t n;
	int fd;

	privs_root_fs(&fs); /* tracefs formats: root's */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	privs_restore_fs(&fs);

	if (!m || fd < 0) {
		int err = -errno;

		if (m)
			fclose(m);
		if (fd >= 0)
			close(fd);
		free(*out);
		*out = NULL;
		return err;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, m);
	close(fd);
	fclose(m);
	return 0;
}

static int parse_sched_formats(struct perf_session *p, char *why, size_t whylen)
{
	p->tep = tep_alloc();
	if (!p->tep)
		return -ENOMEM;
	tep_set_long_size(p->tep, sizeof(long));
	for (int i = 0; i < 4; i++) {
		char path[PATH_MAX + 64], *text = NULL;
		size_t len = 0;
		struct tep_event *e;
		int err;

		snprintf(path, sizeof(path), "%s/events/sched/%s/format", p->tracefs,
			 sched_events[i]);
		err = read_text(path, &text, &len);
		if (!err && tep_parse_event(p->tep, text, len, "sched"))
			err = -EINVAL;
		free(text);
		if (err) {
			snprintf(why, whylen, "cannot read the format of sched:%s (%s): %s",
				 sched_events[i], path, strerror(-err));
			return err;
		}
		e = tep_find_event_by_name(p->tep, "sched", sched_events[i]);
		if (!e)
			return -EINVAL;
		p->tp_id[i] = e->id;
	}
	/* Linux 6.16 and later say whether the thread was its group's last */
	p->exit_has_group_dead = tep_find_field(tep_find_event(p->tep, p->tp_id[2]),
						"group_dead") != NULL;
	return 0;
}

int perf_session__open(struct perf_session *p, struct session *s, unsigned buffer_mb, char *why,
		       size_t whylen)
{
	size_t per_cpu;
	int err;

	memset(p, 0, sizeof(*p));
	p->s = s; /* s holds the runtime's process, spawned already */
	p->ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (p->ncpu < 1)
		p->ncpu = 1;
	per_cpu = ((size_t)(buffer_mb ? buffer_mb : 1) << 20) / p->ncpu;
	for (p->ring_bytes = 64 << 10; p->ring_bytes * 2 <= per_cpu;)
		p->ring_bytes *= 2;
	snprintf(p->group, sizeof(p->group), "phaseprof_%d", (int)getpid());
	err = tracefs_ensure(p->tracefs, sizeof(p->tracefs), why, whylen);
	if (err)
		return err;
	p->rings = calloc(p->ncpu, sizeof(*p->rings));
	if (!p->rings)
		return -ENOMEM;
	for (int c = 0; c < p->ncpu; c++)
		p->rings[c].fd = -1;
	return parse_sched_formats(p, why, whylen);
}

static int perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	int fd = (int)syscall(__NR_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* A CPU's first event gets the ring buffer; the others write into it. */
static int connect_ring(struct perf_session *p, int cpu, int fd)
{
	struct perf_ring *r = &p->rings[cpu];
	long page = sysconf(_SC_PAGESIZE);

	if (r->fd >= 0)
		return ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) ? -errno : 0;
	r->len = page + p->ring_bytes;
	r->base = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		return -errno;
	}
	r->fd = fd;
	return 0;
}

static int add_stream(struct perf_session *p, int fd, enum rec_kind kind, uint64_t cookie)
{
	struct perf_stream *v = realloc(p->streams, (p->nstreams + 1) * sizeof(*v));
	uint64_t id = 0;

	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	p->streams = v;
	if (ioctl(fd, PERF_EVENT_IOC_ID, &id)) {
		close(fd);
		return -errno;
	}
	p->streams[p->nstreams++] = (struct perf_stream){ fd, id, kind, cookie };
	return 0;
}

/*
 * Open tracepoint or uprobe event `id` on every CPU: for the runtime's tree
 * (inherit: threads and processes it creates later too) or, with task false,
 * for every task.
 */
static int open_event(struct perf_session *p, int id, bool task, enum rec_kind kind,
		      uint64_t cookie)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(a),
		.config = (uint64_t)id,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			       PERF_SAMPLE_CPU | PERF_SAMPLE_RAW,
		.inherit = task,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC, /* the BPF half's bpf_ktime_get_ns() */
		/* wake the reader when a quarter is full, not per event (see phaseprof.bpf.c) */
		.watermark = 1,
		.wakeup_watermark = (uint32_t)(p->ring_bytes / 4),
	};

	for (int c = 0; c < p->ncpu; c++) {
		int fd = perf_open(&a, task ? p->s->child : -1, c), err;

		if (fd == -ENODEV || fd == -EINVAL) /* an offline CPU */
			if (c > 0 && p->rings[c].fd < 0)
				continue;
		if (fd < 0)
			return fd;
		err = add_stream(p, fd, kind, cookie);
		err = err ?: connect_ring(p, c, fd);
		if (err)
			return err;
	}
	return 0;
}

static void perf_error(int err, const char *what, char *why, size_t whylen)
{
	snprintf(why, whylen, "perf_event_open %s: %s%s", what, strerror(-err),
		 err == -EACCES || err == -EPERM ?
			 "; needs root or CAP_PERFMON (see /proc/sys/kernel/perf_event_paranoid)" :
			 "");
}

int perf_session__attach_tracepoints(struct perf_session *p, char *why, size_t whylen)
{
	/* sched_switch first: it owns each CPU's ring buffer */
	int err = open_event(p, p->tp_id[3], false, K_SWITCH, 0);

	err = err ?: open_event(p, p->tp_id[0], true, K_EXEC, 0);
	err = err ?: open_event(p, p->tp_id[1], true, K_FORK, 0);
	err = err ?: open_event(p, p->tp_id[2], true, K_EXIT, 0);
	if (err)
		perf_error(err, "on sched tracepoints", why, whylen);
	return err;
}

int perf_session__attach_uprobes(struct perf_session *p, const struct plan_attach *att, size_t n,
				 size_t *failed, char *why, size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		struct uprobe_def d = { .retprobe = att[i].retprobe, .offset = att[i].offset };
		char kwhy[256];
		int err, id;

		*failed = i;
		snprintf(d.group, sizeof(d.group), "%s", p->group);
		snprintf(d.event, sizeof(d.event), "e%zu", i);
		snprintf(d.path, sizeof(d.path), "%s", att[i].path);
		err = uprobe_events__add(p->tracefs, &d, kwhy, sizeof(kwhy));
		if (err) {
			snprintf(why, whylen, "cannot create a uprobe event in %s/uprobe_events: %s",
				 p->tracefs, kwhy);
			return err;
		}
		p->nuprobes = i + 1;
		id = uprobe_events__id(p->tracefs, d.group, d.event);
		if (id < 0) {
			snprintf(why, whylen, "cannot read the id of %s:%s: %s", d.group, d.event,
				 strerror(-id));
			return id;
		}
		/* every task, as the BPF half's links: hits of other processes are dropped later */
		err = open_event(p, id, false, K_SITE, att[i].cookie);
		if (err) {
			perf_error(err, "on a uprobe event", why, whylen);
			return err;
		}
	}
	return 0;
}

/* ---- reading ---- */

static const struct perf_stream *stream_of(const struct perf_session *p, uint64_t id)
{
	for (size_t i = 0; i < p->nstreams; i++)
		if (p->streams[i].id == id)
			return &p->streams[i];
	return NULL;
}

static struct perf_rec *new_rec(struct perf_session *p)
{
	if (p->nrecs == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 65536;
		struct perf_rec *v = realloc(p->recs, cap * sizeof(*v));

		if (!v) {
			p->oom = true;
			return NULL;
		}
		p->recs = v;
		p->cap = cap;
	}
	memset(&p->recs[p->nrecs], 0, sizeof(*p->recs));
	return &p->recs[p->nrecs++];
}

static long long field_val(struct tep_event *e, struct tep_record *r, const char *name)
{
	unsigned long long v = 0;

	tep_get_field_val(NULL, e, name, r, &v, 0);
	return (long long)v;
}

static void field_str(struct tep_event *e, struct tep_record *r, const char *name, char *out)
{
	int len = 0;
	const char *s = tep_get_field_raw(NULL, e, name, r, &len, 0);
	const char *base;

	if (!s || len <= 0)
		return;
	len = (int)strnlen(s, len);
	/* exec's filename: keep its last part, as the kernel's comm */
	base = memrchr(s, '/', len);
	if (base && !strcmp(name, "filename")) {
		len -= base + 1 - s;
		s = base + 1;
	}
	snprintf(out, PP_COMM_LEN, "%.*s", len, s);
}

/* Raw tracepoint fields, named in the events' format files, through libtraceevent. */
static void decode_raw(struct perf_session *p, struct perf_rec *pr, void *raw, uint32_t size)
{
	struct tep_record r = { .ts = pr->ts, .cpu = (int)pr->cpu, .size = (int)size, .data = raw };
	struct tep_event *e = tep_find_event(p->tep, p->tp_id[pr->kind - K_EXEC]);

	if (!e)
		return;
	switch (pr->kind) {
	case K_EXEC:
		field_str(e, &r, "filename", pr->comm);
		break;
	case K_FORK:
		pr->a = (int32_t)field_val(e, &r, "child_pid");
		pr->b = (int32_t)field_val(e, &r, "parent_pid");
		field_str(e, &r, "child_comm", pr->comm);
		break;
	case K_EXIT:
		pr->a = p->exit_has_group_dead ? (int32_t)field_val(e, &r, "group_dead") : -1;
		field_str(e, &r, "comm", pr->comm);
		break;
	case K_SWITCH:
		pr->a = (int32_t)field_val(e, &r, "prev_pid");
		pr->b = (int32_t)field_val(e, &r, "next_pid");
		field_str(e, &r, "prev_comm", pr->comm);
		field_str(e, &r, "next_comm", pr->comm2);
		break;
	}
}

/* IDENTIFIER, TID, TIME, CPU, RAW: the order perf_event_open(2) gives them */
static void on_sample(struct perf_session *p, const char *d, size_t len)
{
	const struct perf_stream *st;
	struct perf_rec *pr;
	uint64_t id, ts;
	uint32_t pid, tid, cpu, rawsize;

	if (len < 36)
		return;
	memcpy(&id, d, 8);
	memcpy(&pid, d + 8, 4);
	memcpy(&tid, d + 12, 4);
	memcpy(&ts, d + 16, 8);
	memcpy(&cpu, d + 24, 4);
	memcpy(&rawsize, d + 32, 4);
	st = stream_of(p, id);
	if (!st || 36 + (size_t)rawsize > len)
		return;
	/* the switch of a task that is not the runtime's: most of them, dropped now */
	pr = new_rec(p);
	if (!pr)
		return;
	*pr = (struct perf_rec){ .ts = ts, .cookie = st->cookie, .kind = st->kind, .pid = pid,
				 .tid = tid, .cpu = cpu };
	if (st->kind != K_SITE)
		decode_raw(p, pr, (void *)(d + 36), rawsize);
}

static void on_record(struct perf_session *p, const struct perf_event_header *h)
{
	const char *body = (const char *)(h + 1);
	size_t len = h->size - sizeof(*h);

	if (h->type == PERF_RECORD_SAMPLE) {
		on_sample(p, body, len);
	} else if (h->type == PERF_RECORD_LOST && len >= 16) {
		uint64_t lost;

		memcpy(&lost, body + 8, 8);
		p->lost += lost;
	}
}

static void drain_ring(struct perf_session *p, struct perf_ring *r)
{
	struct perf_event_mmap_page *m = r->base;
	char *data = (char *)r->base + sysconf(_SC_PAGESIZE), tmp[65536];
	uint64_t size = p->ring_bytes, tail = m->data_tail;
	uint64_t head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);

	while (tail < head) {
		struct perf_event_header *h = (void *)(data + (tail & (size - 1)));
		size_t off = tail & (size - 1);

		if (h->size < sizeof(*h))
			break;
		if (off + h->size > size) { /* wraps: copy it out whole */
			memcpy(tmp, data + off, size - off);
			memcpy(tmp + size - off, data, h->size - (size - off));
			h = (void *)tmp;
		}
		on_record(p, h);
		tail += h->size;
	}
	__atomic_store_n(&m->data_tail, tail, __ATOMIC_RELEASE);
}

static void drain(struct perf_session *p)
{
	for (int c = 0; c < p->ncpu; c++)
		if (p->rings[c].base)
			drain_ring(p, &p->rings[c]);
}

/* ---- from samples to the run's events ---- */

struct tid_map {
	uint32_t tid, tgid;
};

static int cmp_tid(const void *a, const void *b)
{
	uint32_t x = ((const struct tid_map *)a)->tid, y = ((const struct tid_map *)b)->tid;

	return x < y ? -1 : x > y;
}

static const struct tid_map *tid_find(const struct tid_map *v, size_t n, uint32_t tid)
{
	struct tid_map key = { tid, 0 };

	return bsearch(&key, v, n, sizeof(*v), cmp_tid);
}

/*
 * The runtime's threads: its first task and every task its tree forked, each
 * with its tgid as its own samples (which only our tree produces) report it.
 */
static struct tid_map *tree_threads(const struct perf_session *p, size_t *n)
{
	struct tid_map *v = calloc(p->nrecs + 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	v[k++] = (struct tid_map){ (uint32_t)p->s->child, (uint32_t)p->s->child };
	for (size_t i = 0; i < p->nrecs; i++)
		if (p->recs[i].kind == K_FORK)
			v[k++] = (struct tid_map){ (uint32_t)p->recs[i].a, (uint32_t)p->recs[i].a };
	qsort(v, k, sizeof(*v), cmp_tid);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (!*n || v[*n - 1].tid != v[i].tid)
			v[(*n)++] = v[i];
	for (size_t i = 0; i < p->nrecs; i++) {
		const struct perf_rec *r = &p->recs[i];
		struct tid_map *t;

		if (r->kind == K_SWITCH)
			continue;
		t = (struct tid_map *)tid_find(v, *n, r->tid);
		if (t)
			t->tgid = r->pid;
	}
	return v;
}

static int push_event(struct session *s, const struct pp_event *e)
{
	if (s->nev == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		struct pp_event *v = realloc(s->ev, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->ev = v;
		s->cap = cap;
	}
	s->ev[s->nev++] = *e;
	return 0;
}

static int switch_events(struct session *s, const struct perf_rec *r, const struct tid_map *v,
			 size_t n)
{
	const struct tid_map *prev = tid_find(v, n, (uint32_t)r->a);
	const struct tid_map *next = tid_find(v, n, (uint32_t)r->b);
	struct pp_event e = { .ts = r->ts, .cpu = r->cpu };
	int err = 0;

	if (prev) {
		e.type = PP_EV_OFFCPU;
		e.tgid = prev->tgid;
		e.tid = prev->tid;
		memcpy(e.comm, r->comm, PP_COMM_LEN);
		err = push_event(s, &e);
	}
	if (next && !err) {
		e.type = PP_EV_ONCPU;
		e.tgid = next->tgid;
		e.tid = next->tid;
		memcpy(e.comm, r->comm2, PP_COMM_LEN);
		err = push_event(s, &e);
	}
	return err;
}

static int one_event(struct session *s, const struct perf_rec *r, const struct tid_map *v,
		     size_t n)
{
	static const uint32_t types[] = { PP_EV_SITE, PP_EV_EXEC, PP_EV_FORK, PP_EV_EXIT };
	struct pp_event e = { .ts = r->ts, .cookie = r->cookie, .type = types[r->kind],
			      .tgid = r->pid, .tid = r->tid, .cpu = r->cpu };
	const struct tid_map *child;

	if (r->kind == K_SWITCH)
		return switch_events(s, r, v, n);
	if (r->kind == K_SITE && !tid_find(v, n, r->tid))
		return 0; /* another process running the same binary */
	memcpy(e.comm, r->comm, PP_COMM_LEN);
	if (r->kind == K_FORK) {
		child = tid_find(v, n, (uint32_t)r->a);
		e.tid = (uint32_t)r->a;
		e.tgid = child ? child->tgid : (uint32_t)r->a;
		e.arg = r->tid;
	} else if (r->kind == K_EXIT) {
		e.arg2 = r->a > 0;
	}
	return push_event(s, &e);
}

static int cmp_rec_ts(const void *a, const void *b)
{
	const struct perf_rec *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Kernels before 6.16 do not say group_dead: it is the group's last exit. */
static void mark_group_dead(struct perf_session *p)
{
	if (p->exit_has_group_dead)
		return;
	qsort(p->recs, p->nrecs, sizeof(*p->recs), cmp_rec_ts);
	for (size_t i = p->nrecs; i-- > 0;) {
		struct perf_rec *r = &p->recs[i];
		bool later = false;

		if (r->kind != K_EXIT)
			continue;
		for (size_t j = i + 1; j < p->nrecs && !later; j++)
			later = p->recs[j].kind == K_EXIT && p->recs[j].pid == r->pid;
		r->a = !later;
	}
}

static int build_events(struct perf_session *p)
{
	size_t n = 0;
	struct tid_map *v;
	int err = 0;

	mark_group_dead(p);
	v = tree_threads(p, &n);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->nrecs && !err; i++)
		err = one_event(p->s, &p->recs[i], v, n);
	free(v);
	free(p->recs);
	p->recs = NULL;
	p->nrecs = p->cap = 0;
	return err;
}

int perf_session__run(struct perf_session *p, int (*forward)(void))
{
	struct session *s = p->s;
	int pidfd = (int)syscall(SYS_pidfd_open, s->child, 0), err = 0;
	struct pollfd *pfd = calloc(p->ncpu + 1, sizeof(*pfd));

	if (!pfd)
		return -ENOMEM;
	while (!s->exited) {
		int sig = forward ? forward() : 0, k = 0;
		pid_t r;

		if (sig)
			kill(s->child, sig);
		for (int c = 0; c < p->ncpu; c++)
			if (p->rings[c].fd >= 0)
				pfd[k++] = (struct pollfd){ .fd = p->rings[c].fd, .events = POLLIN };
		if (pidfd >= 0)
			pfd[k++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		poll(pfd, k, 200);
		drain(p);
		r = wait4(s->child, &s->wait_status, WNOHANG, &s->rusage);
		if (r == s->child)
			s->exited = true;
		else if (r < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
	}
	free(pfd);
	if (pidfd >= 0)
		close(pidfd);
	/* the exit tracepoints fired before the parent could reap: all samples are in */
	drain(p);
	if (!err && p->oom)
		err = -ENOMEM;
	return build_events(p) ?: err;
}

uint64_t perf_session__lost(struct perf_session *p)
{
	return p->lost;
}

void perf_session__close(struct perf_session *p)
{
	if (!p->s)
		return;
	for (int c = 0; p->rings && c < p->ncpu; c++)
		if (p->rings[c].base)
			munmap(p->rings[c].base, p->rings[c].len);
	for (size_t i = 0; i < p->nstreams; i++)
		close(p->streams[i].fd);
	/* an event in use cannot be deleted: closing it above lets go of it */
	for (size_t i = 0; i < p->nuprobes; i++) {
		char name[UPROBE_NAME_LEN];
		int err;

		snprintf(name, sizeof(name), "e%zu", i);
		for (int tries = 0; tries < 50; tries++) {
			err = uprobe_events__remove(p->tracefs, p->group, name);
			if (err != -EBUSY)
				break;
			usleep(10000);
		}
		if (err && err != -ENOENT)
			pr_warn("cannot delete uprobe event %s:%s: %s; delete it with "
				"echo '-:%s/%s' >> %s/uprobe_events",
				p->group, name, strerror(-err), p->group, name, p->tracefs);
	}
	free(p->streams);
	free(p->rings);
	free(p->recs);
	if (p->tep)
		tep_free(p->tep);
	memset(p, 0, sizeof(*p));
}
