// SPDX-License-Identifier: MIT
/*
 * perf_backend.c: the perf backend (see backend.h): record without BPF. The plan's probes become uprobe events
 * in a private tracefs group (phaseprof_<pid>); they and the sched tracepoints
 * are opened with perf_event_open() on every CPU, read from perf ring
 * buffers, and decoded with libtraceevent from the events' format files into
 * the same struct pp_event stream the BPF half produces, so phases, reports
 * and phases.json are the same.
 *
 * exec/fork/exit follow the runtime's process tree (per-task events with
 * inherit, opened on the held child before exec); probes and sched_switch are
 * opened per CPU for every task, and kept for the tree's threads only.
 * Whatever happens, closing closes every event and deletes the private uprobe
 * events (stale groups of dead phaseprof runs are swept at open).
 */
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
#include <time.h>
#include <limits.h>
#include <unistd.h>
#include <traceevent/event-parse.h>
#include "log.h"
#include "backend.h"
#include "fileread.h"
#include "perf_ring.h"
#include "vec.h"
#include "uprobe_events.h"
#include "phases.h"
#include "plan.h"
#include "privs.h"
#include "leftovers.h"
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

struct perf_session {
	struct backend *b; /* the runtime's process, and where events end up */
	char tracefs[PATH_MAX];
	char group[UPROBE_NAME_LEN];
	size_t nuprobes; /* uprobe events e0.. made in group */
	struct perf_stream *streams;
	size_t nstreams, streams_cap;
	struct perf_ring *rings;
	struct pollfd *pfd; /* the rings and the target's pidfd, for poll() */
	int ncpu;
	size_t ring_bytes; /* data area per CPU, a power of two */
	struct tep_handle *tep;
	int tp_id[4]; /* sched_process_exec, _fork, _exit, sched_switch */
	bool exit_has_group_dead;
	struct perf_rec *recs;
	size_t nrecs, cap;
	bool oom;
	uint64_t lost;
};

/* ---- setup ---- */

/* a tracepoint's format file: a few KiB */
#define FORMAT_MAX_BYTES (1 << 20)

/* Tracefs formats are root's: read them with root's file identity. */
static int read_text(const char *path, char **out, size_t *len)
{
	struct fs_ident fs;
	int err;

	privs_root_fs(&fs);
	err = read_whole_file(path, 0, FORMAT_MAX_BYTES, out, len);
	privs_restore_fs(&fs);
	return err;
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

/*
 * Find (or mount) tracefs and parse the sched tracepoints' formats. The
 * buffer is shared among the CPUs' ring buffers.
 */
static int perf_open_backend(struct backend *b, const struct backend_opts *o, char *why,
			     size_t whylen)
{
	struct perf_session *p = calloc(1, sizeof(*p));
	unsigned buffer_mb = o->buffer_mb;
	size_t per_cpu;
	int err;

	if (!p)
		return -ENOMEM;
	b->priv = p;
	p->b = b;
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
	/* the next run removes the group should this one be killed */
	leftovers__note_tracefs(getpid());
	p->rings = calloc(p->ncpu, sizeof(*p->rings));
	p->pfd = calloc(p->ncpu + 1, sizeof(*p->pfd));
	if (!p->rings || !p->pfd)
		return -ENOMEM;
	for (int c = 0; c < p->ncpu; c++)
		p->rings[c].fd = -1;
	return parse_sched_formats(p, why, whylen);
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
	struct perf_stream *v = vec_grow(p->streams, p->nstreams, &p->streams_cap, sizeof(*v), 64);
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
		int fd = perf_event_fd(&a, task ? p->b->target->pid : -1, c), err;

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

static int perf_attach_tracepoints(struct backend *b, char *why, size_t whylen)
{
	struct perf_session *p = b->priv;
	/* sched_switch first: it owns each CPU's ring buffer */
	int err = open_event(p, p->tp_id[3], false, K_SWITCH, 0);

	err = err ?: open_event(p, p->tp_id[0], true, K_EXEC, 0);
	err = err ?: open_event(p, p->tp_id[1], true, K_FORK, 0);
	err = err ?: open_event(p, p->tp_id[2], true, K_EXIT, 0);
	if (err)
		perf_error(err, "on sched tracepoints", why, whylen);
	return err;
}

static int perf_attach_uprobes(struct backend *b, const struct plan_attach *att, size_t n,
			       size_t *failed, char *why, size_t whylen)
{
	struct perf_session *p = b->priv;

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
	struct perf_rec *v = vec_grow(p->recs, p->nrecs, &p->cap, sizeof(*v), 65536);

	if (!v) {
		p->oom = true;
		return NULL;
	}
	p->recs = v;
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
	/* kept, every task's switch included: only the whole run tells which tasks are the
	 * runtime's (build_events() drops the others) */
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

static void take_record(void *p, const struct perf_event_header *h)
{
	on_record(p, h);
}

static void drain(struct perf_session *p)
{
	for (int c = 0; c < p->ncpu; c++)
		if (p->rings[c].base)
			perf_ring_drain(p->rings[c].base, sysconf(_SC_PAGESIZE), p->ring_bytes,
					take_record, p);
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
	v[k++] = (struct tid_map){ (uint32_t)p->b->target->pid, (uint32_t)p->b->target->pid };
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

static int switch_events(struct event_store *s, const struct perf_rec *r, const struct tid_map *v,
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
		err = events__push(s, &e);
	}
	if (next && !err) {
		e.type = PP_EV_ONCPU;
		e.tgid = next->tgid;
		e.tid = next->tid;
		memcpy(e.comm, r->comm2, PP_COMM_LEN);
		err = events__push(s, &e);
	}
	return err;
}

static int one_event(struct event_store *s, const struct perf_rec *r, const struct tid_map *v,
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
	return events__push(s, &e);
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
		err = one_event(p->b->events, &p->recs[i], v, n);
	free(v);
	free(p->recs);
	p->recs = NULL;
	p->nrecs = p->cap = 0;
	return err;
}

static void perf_wait(struct backend *b, int pidfd)
{
	struct perf_session *p = b->priv;
	struct pollfd *pfd = p->pfd;
	int k = 0;

	for (int c = 0; c < p->ncpu; c++)
		if (p->rings[c].fd >= 0)
			pfd[k++] = (struct pollfd){ .fd = p->rings[c].fd, .events = POLLIN };
	if (pidfd >= 0)
		pfd[k++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	poll(pfd, k, 200);
}

static int perf_drain(struct backend *b)
{
	drain(b->priv);
	return 0;
}

/* The target exited: its tree is known, so the samples become the run's events. */
static int perf_finish(struct backend *b)
{
	struct perf_session *p = b->priv;
	int err;

	drain(p);
	err = p->oom ? -ENOMEM : 0;
	return build_events(p) ?: err;
}

static uint64_t perf_lost(struct backend *b)
{
	return ((struct perf_session *)b->priv)->lost;
}

/* Nothing to do before close: the events stop with the target. */
static void perf_detach(struct backend *b)
{
}

static void perf_close(struct backend *b)
{
	struct perf_session *p = b->priv;
	bool removed = true;

	if (!p)
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
		removed &= !err || err == -ENOENT;
		if (err && err != -ENOENT)
			pr_warn("cannot delete uprobe event %s:%s: %s; delete it with "
				"echo '-:%s/%s' >> %s/uprobe_events",
				p->group, name, strerror(-err), p->group, name, p->tracefs);
	}
	if (removed)
		leftovers__forget_tracefs(getpid());
	free(p->streams);
	free(p->rings);
	free(p->pfd);
	free(p->recs);
	if (p->tep)
		tep_free(p->tep);
	free(p);
}

const struct backend_ops perf_backend_ops = {
	.name = "perf",
	.open = perf_open_backend,
	.attach_tracepoints = perf_attach_tracepoints,
	.attach_uprobes = perf_attach_uprobes,
	.wait = perf_wait,
	.drain = perf_drain,
	.finish = perf_finish,
	.lost = perf_lost,
	.detach = perf_detach,
	.close = perf_close,
};
