// SPDX-License-Identifier: MIT
/*
 * bpf_backend.c: the BPF backend (see backend.h): the skeleton's lifecycle, its
 * links, the events ring buffer, and the sampled stacks in its maps.
 */
#define _GNU_SOURCE
#define PR_DOMAIN "bpf"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "vec.h"
#include "log.h"
#include "plan.h"
#include "stacks.h"
#include "phaseprof.skel.h"
#include "backend.h"
#include "bpf_cache.h"
#include "uprobe_multi.h"
#include "hash.h"
#include "parallel.h"
#include "perf_ring.h"
#include "phase_rules.h"
#include "offcpu.h"
#include "selfcost.h"
#include "syscalls.h"


struct fd_vec {
	int *v;
	size_t n, cap;
};

struct session {
	struct backend *b; /* its target and event store */
	struct phaseprof_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks, links_cap;
	/* links made without libbpf: uprobe_multi ones (slow to come down), and the others */
	struct fd_vec uprobe_fds, link_fds;
	bool multi; /* uprobe_multi links (Linux 6.6+) rather than one link per probe */
	bool dwarf; /* stack samples come with registers and stack, to unwind in user space */
	stack_sample_fn on_stack;
	void *stack_ctx;
	/* the BPF program cache: the slot claimed, and whether its instance was reused */
	struct bpf_cache_slot slot;
	bool reused;
	bool discarding; /* an earlier run's events still in the rings: dropped */
	bool drain_often; /* poll every few ms (DWARF copy size adapting) */
	bool sched_attached; /* the scheduler tracepoints (attach_sched()) */
	int prog_fds[BPF_CACHE_MAX_PROGS]; /* by program index; -1: not loaded */
	int nprogs;
	struct self_cost cost_base; /* reused: what the programs ran before this run */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (size < sizeof(struct pp_event) || s->discarding)
		return 0;
	return events__push(s->b->events, data);
}


/* --syscalls: its programs run on every system call of the machine; load them only when asked. */
static int syscalls_autoload(struct session *s, bool on)
{
	return bpf_program__set_autoload(s->skel->progs.pp_sys_enter, on) ?:
	       bpf_program__set_autoload(s->skel->progs.pp_sys_exit, on);
}

/*
 * Only what this run uses is loaded: the verifier's time is most of
 * phaseprof's fixed cost, and it grows with every program it checks.
 */
static int autoload_needed(struct session *s, const struct backend_opts *o, bool multi)
{
	struct phaseprof_bpf *k = s->skel;

	return bpf_program__set_autoload(k->progs.pp_site_hit, !multi) ?:
	       bpf_program__set_autoload(k->progs.pp_sample, o->sampling && !s->dwarf) ?:
	       bpf_program__set_autoload(k->progs.pp_sample_dwarf, o->sampling && s->dwarf) ?:
	       bpf_program__set_autoload(k->progs.pp_fb_enter, o->fallback) ?:
	       bpf_program__set_autoload(k->progs.pp_fb_exit, o->fallback) ?:
	       syscalls_autoload(s, o->syscalls) ?:
	       bpf_program__set_autoload(k->progs.pp_offcpu, o->offcpu) ?:
	       bpf_program__set_autoload(k->progs.pp_waking, o->offcpu);
}

/*
 * A map no loaded program uses is still made: the smallest, since the kernel
 * allocates a stack map's or a preallocated hash's memory when it makes it.
 */
static int shrink_unused(struct session *s, const struct backend_opts *o)
{
	struct phaseprof_bpf *k = s->skel;
	bool sampled = o->sampling || o->offcpu;
	int err = 0;

	if (!sampled)
		err = bpf_map__set_max_entries(k->maps.stacks, 1);
	if (!o->sampling || s->dwarf)
		err = err ?: bpf_map__set_max_entries(k->maps.samples, 1);
	if (o->sampling && s->dwarf) {
		int ncpu = libbpf_num_possible_cpus();

		err = err ?: ncpu < 0 ? ncpu : bpf_map__set_max_entries(k->maps.stack_scratch, ncpu);
	}
	if (!o->fallback)
		err = err ?: bpf_map__set_max_entries(k->maps.module_fds, 1) ?:
		      bpf_map__set_max_entries(k->maps.jit_seen, 1);
	if (!o->syscalls)
		err = err ?: bpf_map__set_max_entries(k->maps.sys_counts, 1) ?:
		      bpf_map__set_max_entries(k->maps.sys_start, 1);
	if (!o->offcpu)
		err = err ?: bpf_map__set_max_entries(k->maps.off_start, 1) ?:
		      bpf_map__set_max_entries(k->maps.off_waits, 1) ?:
		      bpf_map__set_max_entries(k->maps.off_stacks, 1);
	return err;
}

/* The DWARF samples' ring buffer; a page where it is not used. */
static unsigned stack_ring_bytes(const struct backend_opts *o)
{
	return o->stack_ring_mb ? o->stack_ring_mb << 20 : 4096;
}

/* -v: each loaded program and the instructions the verifier walked for it */
static void log_verified(struct session *s)
{
	struct bpf_program *p;
	unsigned total = 0, n = 0;

	if (s->reused) {
		pr_debug("BPF programs reused from %s: none loaded or verified; run %u of them",
			 s->slot.path, s->skel->bss->site_gen);
		return;
	}
	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		pr_debug("loaded %s: %u instructions verified", bpf_program__name(p),
			 info.verified_insns);
		total += info.verified_insns;
		n++;
	}
	pr_debug("%u programs loaded, %u instructions verified", n, total);
}

/* The program's fd, loaded by this run or kept from an earlier one; -1 if not loaded. */
static int prog_fd(const struct session *s, const struct bpf_program *prog)
{
	struct bpf_program *p;
	int i = 0;

	bpf_object__for_each_program(p, s->skel->obj) {
		if (p == prog)
			return i < s->nprogs ? s->prog_fds[i] : -1;
		i++;
	}
	return -1;
}

static int open_skeleton(struct session *s, const struct backend_opts *o, bool multi)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = o->btf);
	int err;

	s->skel = phaseprof_bpf__open_opts(&opts);
	if (!s->skel)
		return -errno;
	/* ring buffers are a power of two pages */
	err = bpf_map__set_max_entries(s->skel->maps.events, (o->buffer_mb ?: 1) << 20);
	err = err ?: bpf_map__set_max_entries(s->skel->maps.stack_samples, stack_ring_bytes(o));
	if (multi)
		err = err ?: bpf_program__set_expected_attach_type(s->skel->progs.pp_site_multi,
								    PP_TRACE_UPROBE_MULTI);
	else
		err = err ?: bpf_program__set_autoload(s->skel->progs.pp_site_multi, false);
	err = err ?: autoload_needed(s, o, multi);
	err = err ?: shrink_unused(s, o);
	if (err) {
		phaseprof_bpf__destroy(s->skel);
		s->skel = NULL;
	}
	return err;
}

/* What a kept instance was loaded for: the same object with another config is another. */
static void cache_key(const struct backend_opts *o, char *object, size_t olen, char *config,
		      size_t clen)
{
	size_t size;
	const void *elf = phaseprof_bpf__elf_bytes(&size);

	snprintf(object, olen, "%016llx", (unsigned long long)fnv1a(FNV1A_INIT, elf, size));
	snprintf(config, clen, "multi-%s-e%u-s%u%s%s%s",
		 !o->sampling ? "nosample" : o->stack_ring_mb ? "dwarf" : "fp", o->buffer_mb ?: 1,
		 o->stack_ring_mb, o->fallback ? "-fallback" : "", o->syscalls ? "-syscalls" : "",
		 o->offcpu ? "-offcpu" : "");
}

static int count_programs(struct bpf_object *obj)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, obj)
		n++;
	return n;
}

/* The programs' fds in s->prog_fds, by index; reused ones were filled by the cache. */
static int note_prog_fds(struct session *s)
{
	struct bpf_program *p;

	s->nprogs = 0;
	bpf_object__for_each_program(p, s->skel->obj) {
		if (s->nprogs == BPF_CACHE_MAX_PROGS)
			return -E2BIG;
		s->prog_fds[s->nprogs++] = bpf_program__fd(p);
	}
	return 0;
}

/* programs whose links an earlier run may leave coming down: site_gen filters their hits */
static const char *const stale_links_ok[] = { "pp_site_multi", NULL };

/*
 * A kept instance for this config, if the cache has one: 0 with s->reused,
 * else the skeleton is opened again for a load. -errno only when that fails.
 */
static int try_reuse(struct session *s, const struct backend_opts *o)
{
	char object[32], config[128];
	int err;

	cache_key(o, object, sizeof(object), config, sizeof(config));
	if (bpf_cache__claim(&s->slot, object, config))
		return 0;
	err = bpf_cache__adopt(&s->slot, s->skel->obj, s->prog_fds, stale_links_ok);
	if (!err) {
		__u32 gen = s->skel->bss->site_gen;

		s->reused = true;
		s->nprogs = count_programs(s->skel->obj);
		memset(s->skel->bss, 0, sizeof(*s->skel->bss));
		s->skel->bss->site_gen = gen % PP_COOKIE_GEN_MAX + 1;
		return selfcost__read_progs(s->prog_fds, s->nprogs, &s->cost_base);
	}
	/* a half-adopted skeleton is no use for a load */
	phaseprof_bpf__destroy(s->skel);
	s->skel = NULL;
	return open_skeleton(s, o, true);
}

static int load_skeleton(struct session *s, const struct backend_opts *o, bool multi)
{
	unsigned stack_ring = stack_ring_bytes(o);
	int err = open_skeleton(s, o, multi);

	if (!err && multi && !o->btf && !o->no_cache)
		err = try_reuse(s, o);
	if (!err && !s->reused) {
		err = phaseprof_bpf__load(s->skel) ?: note_prog_fds(s);
		if (!err)
			s->skel->bss->site_gen = 1;
		if (!err && s->slot.fd >= 0 && bpf_cache__keep(&s->slot, s->skel->obj))
			bpf_cache__release(&s->slot);
	}
	if (err) {
		bpf_cache__release(&s->slot);
		phaseprof_bpf__destroy(s->skel);
		s->skel = NULL;
		return err;
	}
	s->skel->data->stack_copy_size = o->stack_copy < PP_STACK_COPY_MAX ? o->stack_copy :
									   PP_STACK_COPY_MAX;
	s->skel->data->stack_wakeup_bytes = stack_ring / 4;
	if (log_verbosity > 0)
		log_verified(s);
	return 0;
}

static int on_stack_sample(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	const struct pp_stack_sample *sample = data;
	size_t head = offsetof(struct pp_stack_sample, data);

	/* a sample is as long as the stack it copied */
	if (size >= head && sample->size <= size - head && s->on_stack && !s->discarding)
		s->on_stack(s->stack_ctx, sample);
	return 0;
}

static int attach_sched(struct session *s);

static int bpf_open(struct backend *b, const struct backend_opts *o, char *why, size_t whylen)
{
	struct session *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	b->priv = s;
	s->b = b;
	s->slot.fd = -1;
	s->dwarf = o->stack_ring_mb > 0;
	s->on_stack = o->on_stack;
	s->stack_ctx = o->stack_ctx;
	/* try uprobe_multi first; a kernel that predates it refuses the program */
	s->multi = load_skeleton(s, o, true) == 0;
	if (!s->multi) {
		pr_debug("no uprobe_multi links here; one perf event per probe");
		err = load_skeleton(s, o, false);
		if (err) {
			snprintf(why, whylen, "%s", strerror(-err));
			return err;
		}
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event, s, NULL);
	err = s->rb ? 0 : -errno;
	if (!err && s->dwarf &&
	    ring_buffer__add(s->rb, bpf_map__fd(s->skel->maps.stack_samples), on_stack_sample, s))
		err = -errno;
	if (err) {
		snprintf(why, whylen, "cannot set up the ring buffer: %s", strerror(-err));
		return err;
	}
	/* what a killed run left in a kept instance's rings is not this run's */
	s->discarding = s->reused;
	if (s->reused && ring_buffer__consume(s->rb) > 0)
		pr_debug("dropped what an earlier run left in the kept ring buffers");
	s->discarding = false;
	err = attach_sched(s);
	if (err)
		snprintf(why, whylen, "cannot attach the scheduler tracepoints: %s", strerror(-err));
	return err;
}

static int add_link(struct session *s, struct bpf_link *link)
{
	struct bpf_link **v;

	if (!link)
		return -errno;
	v = vec_grow(s->links, s->nlinks, &s->links_cap, sizeof(*v), 16);
	if (!v) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	s->links = v;
	s->links[s->nlinks++] = link;
	return 0;
}

/* libbpf 1.1 cannot wrap a link fd it did not make: keep those as plain fds */
static int add_fd(struct fd_vec *fds, int fd)
{
	int *v = vec_grow(fds->v, fds->n, &fds->cap, sizeof(*v), 16);

	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	fds->v = v;
	fds->v[fds->n++] = fd;
	return 0;
}

static int add_link_fd(struct session *s, int fd)
{
	return add_fd(&s->link_fds, fd);
}

static void close_fds(struct fd_vec *fds)
{
	close_at_once(fds->v, fds->n);
	free(fds->v);
	*fds = (struct fd_vec){ 0 };
}

/* A BTF tracepoint program (tp_btf), attached by fd: kept programs have no libbpf object. */
static int attach_tp(struct session *s, const struct bpf_program *prog)
{
	int fd = bpf_raw_tracepoint_open(NULL, prog_fd(s, prog));

	return fd < 0 ? -errno : add_link_fd(s, fd);
}

/*
 * The scheduler tracepoints, attached as soon as the programs are there: a
 * tracepoint that lost its last probe less than a grace period ago (the
 * previous run's, coming down) makes the next attach wait for one, under
 * the kernel's tracepoint lock. Until the target is tracked they return at
 * once.
 */
static int attach_sched(struct session *s)
{
	int err = 0;

	if (s->sched_attached)
		return 0;
	err = err ?: attach_tp(s, s->skel->progs.pp_exec);
	err = err ?: attach_tp(s, s->skel->progs.pp_fork);
	err = err ?: attach_tp(s, s->skel->progs.pp_exit);
	err = err ?: attach_tp(s, s->skel->progs.pp_switch);
	s->sched_attached = !err;
	return err;
}

static int bpf_attach_tracepoints(struct backend *b, char *why, size_t whylen)
{
	struct session *s = b->priv;
	__u32 pid = b->target->pid;
	__u8 one = 1;
	int err;

	s->skel->bss->root_tid = pid;
	/* the child's pid is tracked before it execs: nothing it runs goes unseen */
	err = bpf_map__update_elem(s->skel->maps.tracked, &pid, sizeof(pid), &one, sizeof(one),
				   BPF_ANY);
	err = err ?: attach_sched(s);
	if (err)
		snprintf(why, whylen, "%s", strerror(-err));
	return err;
}

static int attach_one(struct session *s, const struct plan_attach *a)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = a->retprobe,
		    .bpf_cookie = pp_cookie_with_gen(a->cookie, s->skel->bss->site_gen));

	/* every process that maps the file hits it; the BPF side keeps only ours */
	return add_link(s, bpf_program__attach_uprobe_opts(s->skel->progs.pp_site_hit, -1, a->path,
							   a->offset, &opts));
}

/* One uprobe_multi link for every probe of one file and direction. */
static int attach_group(struct session *s, const struct plan_attach *att, size_t n,
			const char *path, bool retprobe)
{
	__u64 *offsets = calloc(n, sizeof(*offsets)), *cookies = calloc(n, sizeof(*cookies));
	__u32 cnt = 0;
	int fd = 0;

	if (!offsets || !cookies) {
		fd = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (att[i].retprobe == retprobe && !strcmp(att[i].path, path)) {
			offsets[cnt] = att[i].offset;
			cookies[cnt++] = pp_cookie_with_gen(att[i].cookie, s->skel->bss->site_gen);
		}
	if (cnt) {
		fd = uprobe_multi_link(prog_fd(s, s->skel->progs.pp_site_multi), path, offsets,
				       cookies, cnt, retprobe);
		if (fd >= 0)
			fd = add_fd(&s->uprobe_fds, fd);
	}
out:
	free(offsets);
	free(cookies);
	return fd < 0 ? fd : 0;
}

static bool first_of_group(const struct plan_attach *att, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (att[j].retprobe == att[i].retprobe && !strcmp(att[j].path, att[i].path))
			return false;
	return true;
}

static int bpf_attach_uprobes(struct backend *b, const struct plan_attach *att, size_t n,
			      size_t *failed, char *why, size_t whylen)
{
	struct session *s = b->priv;
	int err = 0;

	for (size_t i = 0; i < n && s->multi && !err; i++)
		if (first_of_group(att, i))
			err = attach_group(s, att, n, att[i].path, att[i].retprobe);
	if (s->multi && !err)
		return 0;
	if (s->multi) /* the kernel refused the whole group: say which probe it was, one by one */
		pr_debug("uprobe_multi attach failed (%s); one link per probe", strerror(-err));
	for (size_t i = 0; i < n; i++) {
		/* pp_site_hit is not loaded beside pp_site_multi: one-probe groups */
		err = s->multi ? attach_group(s, &att[i], 1, att[i].path, att[i].retprobe) :
				 attach_one(s, &att[i]);
		if (err) {
			*failed = i;
			snprintf(why, whylen, "%s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static int open_sampler(int cpu, unsigned hz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
		.sample_freq = hz,
	};
	return perf_event_fd(&attr, -1, cpu);
}

/*
 * A sampler on cpu, its program attached by a BPF link that holds the perf
 * event; before Linux 5.15, set on the event itself, whose fd is the link.
 */
static int attach_sampler(struct session *s, const struct bpf_program *prog, int cpu, unsigned hz)
{
	int fd = open_sampler(cpu, hz), link, err;

	if (fd < 0)
		return fd;
	link = bpf_link_create(prog_fd(s, prog), fd, BPF_PERF_EVENT, NULL);
	if (link >= 0) {
		close(fd);
		return add_link_fd(s, link);
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd(s, prog))) {
		err = -errno;
		close(fd);
		return err;
	}
	return add_link_fd(s, fd);
}

static int attach_samplers(struct session *s, unsigned hz)
{
	const struct bpf_program *prog = s->dwarf ? s->skel->progs.pp_sample_dwarf :
						    s->skel->progs.pp_sample;
	int ncpu = libbpf_num_possible_cpus();

	for (int cpu = 0; cpu < ncpu; cpu++) {
		int err = attach_sampler(s, prog, cpu, hz);

		if (err && err != -ENODEV) /* -ENODEV: possible, not online */
			return err;
	}
	return 0;
}

static int bpf_attach_sampling(struct backend *b, unsigned hz, char *why, size_t whylen)
{
	int err = attach_samplers(b->priv, hz);

	if (err)
		snprintf(why, whylen, "%s", strerror(-err));
	return err;
}

/* Start thread tid in an entry-only mark of phase, as if a site had fired at exec. */
static int seed_mark(struct session *s, uint32_t tid, int phase)
{
	struct pp_tstate st;

	pp_tstate_init(&st);
	pp_rule_mark(&st, (__u8)phase);
	return bpf_map__update_elem(s->skel->maps.tstate, &tid, sizeof(tid), &st, sizeof(st),
				    BPF_ANY);
}

static int bpf_attach_fallback(struct backend *b, uint64_t module_ino, char *why, size_t whylen)
{
	struct session *s = b->priv;
	int err = 0;

	/* without a module file nothing can be told apart: the whole run is unknown */
	if (!module_ino)
		err = seed_mark(s, b->target->pid, PP_PHASE_UNKNOWN);
	s->skel->bss->module_ino = module_ino;
	err = err ?: attach_tp(s, s->skel->progs.pp_fb_enter);
	err = err ?: attach_tp(s, s->skel->progs.pp_fb_exit);
	if (err)
		snprintf(why, whylen, "%s", strerror(-err));
	return err;
}

/* Wait for the ring buffer to fill, the runtime to exit, or a poll interval. */
static void bpf_wait(struct backend *b, int pidfd)
{
	struct session *s = b->priv;
	struct pollfd pfd[2] = {
		{ .fd = ring_buffer__epoll_fd(s->rb), .events = POLLIN },
		{ .fd = pidfd, .events = POLLIN },
	};

	poll(pfd, pidfd >= 0 ? 2 : 1, s->drain_often ? 5 : pidfd >= 0 ? 200 : 20);
}

static int bpf_drain(struct backend *b)
{
	struct session *s = b->priv;
	int n = ring_buffer__consume(s->rb);

	return n < 0 ? n : 0;
}

static int bpf_finish(struct backend *b)
{
	struct session *s = b->priv;

	/*
	 * The target is gone: its tracepoints and samplers come down now, not
	 * with the uprobes after phaseprof exits. A tracepoint that lost its
	 * last probe less than a grace period ago makes the next attach wait
	 * for the rest of it (tracepoint_add_func()), and a suite's next run
	 * attaches a few milliseconds after this one exits.
	 */
	close_fds(&s->link_fds);
	while (ring_buffer__consume(s->rb) > 0)
		;
	return b->events->oom ? -ENOMEM : 0;
}

static uint64_t bpf_lost(struct backend *b)
{
	struct session *s = b->priv;
	int ncpu = libbpf_num_possible_cpus();
	__u32 zero = 0;
	uint64_t total = 0, *vals;

	if (ncpu <= 0 || !s || !s->skel)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (vals && !bpf_map__lookup_elem(s->skel->maps.lost, &zero, sizeof(zero), vals,
					  ncpu * sizeof(*vals), 0))
		for (int i = 0; i < ncpu; i++)
			total += vals[i];
	free(vals);
	return total;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/* Every link but the uprobe_multi ones, at once (parallel.h): their grace periods overlap. */
static void destroy_links(struct session *s)
{
	close_fds(&s->link_fds);
	parallel_each(destroy_link, (void **)s->links, s->nlinks);
	free(s->links);
	s->links = NULL;
	s->nlinks = s->links_cap = 0;
}

static void bpf_detach(struct backend *b)
{
	struct session *s = b->priv;

	if (!s)
		return;
	destroy_links(s);
	close_fds(&s->uprobe_fds);
}

/* ---- the sampled stacks, as (key, stack) tuples ---- */

struct stack_walk {
	struct session *s;
	uint32_t final_seq; /* the root main thread's last, to tell teardown (phase_rules.h) */
	stack_tuple_fn fn;
	void *ctx;
};

/* A stack map entry's frames, innermost first: how many (stack maps end in 0), -1 for none. */
static int stack_ips(const struct session *s, __s32 id, uint64_t *ips)
{
	__u64 raw[PP_MAX_STACK_DEPTH] = { 0 };
	int n = 0;

	if (id < 0 || bpf_map__lookup_elem(s->skel->maps.stacks, &id, sizeof(id), raw, sizeof(raw), 0))
		return id < 0 ? -1 : 0;
	while (n < PP_MAX_STACK_DEPTH && raw[n]) {
		ips[n] = raw[n];
		n++;
	}
	return n;
}

/* One key with its user frames (from the stack map, or unwound in DWARF mode). */
static int yield(void *walk, const struct pp_sample_key *k, const uint64_t *user, int nuser,
		 uint64_t count, uint64_t ended)
{
	struct stack_walk *w = walk;
	uint64_t kernel[PP_MAX_STACK_DEPTH];
	struct stack_tuple t = { .tgid = k->tgid, .comm = k->comm, .user = user, .nuser = nuser,
				 .kernel = kernel, .count = count, .ended = ended };

	t.phase = pp_sample_resolve(k, w->final_seq);
	t.nkernel = stack_ips(w->s, k->kstack, kernel);
	return w->fn(w->ctx, &t);
}

static int bpf_stacks(struct backend *b, const struct stack_agg *agg, stack_tuple_fn fn, void *ctx,
		      uint64_t *lost)
{
	struct session *s = b->priv;
	struct stack_walk w = { s, 0, fn, ctx };
	struct pp_sample_key key, next, *prev = NULL;
	struct pp_tstate root;
	__u32 tid = s->skel->bss->root_tid;
	int err = 0;

	if (!bpf_map__lookup_elem(s->skel->maps.tstate, &tid, sizeof(tid), &root, sizeof(root), 0))
		w.final_seq = root.seq;
	*lost = s->skel->bss->samples_lost + s->skel->bss->stack_samples_lost;
	while (!err && !bpf_map__get_next_key(s->skel->maps.samples, prev, &next, sizeof(next))) {
		uint64_t ips[PP_MAX_STACK_DEPTH], count;
		int n;

		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(s->skel->maps.samples, &key, sizeof(key), &count,
					 sizeof(count), 0))
			continue;
		n = stack_ips(s, key.ustack, ips);
		err = yield(&w, &key, ips, n > 0 ? n : 0, count, 0);
	}
	return err ?: stack_agg__each(agg, yield, &w);
}

/* ---- --syscalls, --off-cpu, and what the programs cost ---- */

static uint32_t root_final_seq(const struct session *s)
{
	struct pp_tstate root;
	__u32 tid = s->skel->bss->root_tid;

	if (bpf_map__lookup_elem(s->skel->maps.tstate, &tid, sizeof(tid), &root, sizeof(root), 0))
		return 0;
	return root.seq;
}

static int bpf_attach_syscalls(struct backend *b, char *why, size_t whylen)
{
	struct session *s = b->priv;
	int err = attach_tp(s, s->skel->progs.pp_sys_enter) ?:
		  attach_tp(s, s->skel->progs.pp_sys_exit);

	if (err)
		snprintf(why, whylen, "%s", strerror(-err));
	return err;
}

static int bpf_syscalls(struct backend *b, struct syscall_report *out)
{
	struct session *s = b->priv;
	uint32_t final_seq = root_final_seq(s);
	struct pp_sys_key key, next, *prev = NULL;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->lost = s->skel->bss->sys_lost;
	while (!err && !bpf_map__get_next_key(s->skel->maps.sys_counts, prev, &next, sizeof(next))) {
		struct pp_sys_val v;

		key = next;
		prev = &key;
		if (!bpf_map__lookup_elem(s->skel->maps.sys_counts, &key, sizeof(key), &v, sizeof(v), 0))
			err = syscalls__add(out, &key, &v, final_seq);
	}
	return err ?: syscalls__finish(out);
}

static int bpf_attach_offcpu(struct backend *b, char *why, size_t whylen)
{
	struct session *s = b->priv;
	int err = attach_tp(s, s->skel->progs.pp_offcpu) ?:
		  attach_tp(s, s->skel->progs.pp_waking);

	if (err)
		snprintf(why, whylen, "%s", strerror(-err));
	return err;
}

static int offcpu_waits(struct session *s, uint32_t final_seq, struct offcpu_report *out)
{
	struct pp_wait_key key, next, *prev = NULL;
	int err = 0;

	while (!err && !bpf_map__get_next_key(s->skel->maps.off_waits, prev, &next, sizeof(next))) {
		struct pp_sys_val v;

		key = next;
		prev = &key;
		if (!bpf_map__lookup_elem(s->skel->maps.off_waits, &key, sizeof(key), &v, sizeof(v), 0))
			err = offcpu__add_wait(out, &key, &v, final_seq);
	}
	return err;
}

/* The waits, and the blocked stacks as tuples whose counts are nanoseconds. */
static int bpf_offcpu(struct backend *b, stack_tuple_fn fn, void *ctx, struct offcpu_report *out)
{
	struct session *s = b->priv;
	struct stack_walk w = { s, root_final_seq(s), fn, ctx };
	struct pp_sample_key key, next, *prev = NULL;
	int err;

	out->lost = s->skel->bss->off_lost;
	err = offcpu_waits(s, w.final_seq, out);
	while (!err &&
	       !bpf_map__get_next_key(s->skel->maps.off_stacks, prev, &next, sizeof(next))) {
		uint64_t ips[PP_MAX_STACK_DEPTH], ns;
		int n;

		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(s->skel->maps.off_stacks, &key, sizeof(key), &ns, sizeof(ns),
					 0))
			continue;
		n = stack_ips(s, key.ustack, ips);
		err = yield(&w, &key, ips, n > 0 ? n : 0, ns, 0);
	}
	return err;
}

/* A kept program's statistics count every run it served: this run's are the difference. */
static int bpf_own_cost(struct backend *b, struct self_cost *c)
{
	struct session *s = b->priv;
	int err;

	if (!s || !s->skel)
		return -EINVAL;
	err = selfcost__read_progs(s->prog_fds, s->nprogs, c);
	c->bpf_ns -= c->bpf_ns >= s->cost_base.bpf_ns ? s->cost_base.bpf_ns : c->bpf_ns;
	c->bpf_runs -= c->bpf_runs >= s->cost_base.bpf_runs ? s->cost_base.bpf_runs : c->bpf_runs;
	return err;
}

/*
 * uprobe_multi links, tracepoint links and perf events go with their fds;
 * only libbpf's legacy uprobes (kernels without the uprobe PMU) are tracefs
 * events it removes by name after closing them.
 */
static bool bpf_goes_with_fds(struct backend *b)
{
	struct session *s = b->priv;

	return s && (s->multi || !access("/sys/bus/event_source/devices/uprobe/type", F_OK));
}

/*
 * In the keeper, once phaseprof has exited: the tracepoints and samplers
 * come down (at once), a kept instance's maps are emptied, and the slot goes
 * to the next run (a suite's next, often already waiting). Then the uprobe
 * links, which wait for their grace periods (40 to 80 ms): meanwhile the next
 * run's generation (site_gen) makes their hits count for nothing.
 */
static void bpf_keeper_done(struct backend *b)
{
	struct session *s = b->priv;

	if (!s)
		return;
	destroy_links(s);
	if (s->slot.fd >= 0 && s->skel)
		bpf_cache__empty_maps(s->skel->obj);
	bpf_cache__release(&s->slot);
	close_fds(&s->uprobe_fds);
}

/* .data is mapped: the programs read the new size from their next sample on */
static void bpf_set_stack_copy(struct backend *b, unsigned bytes)
{
	struct session *s = b->priv;

	if (s && s->skel)
		s->skel->data->stack_copy_size = bytes < PP_STACK_COPY_MAX ? bytes :
									     PP_STACK_COPY_MAX;
}

static void bpf_drain_often(struct backend *b, bool on)
{
	struct session *s = b->priv;

	if (s)
		s->drain_often = on;
}

static void bpf_take_link(struct backend *b, int fd)
{
	if (b->priv)
		add_fd(&((struct session *)b->priv)->uprobe_fds, fd); /* closes it when it cannot */
	else
		close(fd);
}

/* The kept instance's lock: the keeper holds it until its links are gone. */
static int bpf_keeper_fd(struct backend *b)
{
	struct session *s = b->priv;

	return s ? s->slot.fd : -1;
}

static void bpf_close(struct backend *b)
{
	struct session *s = b->priv;

	if (!s)
		return;
	bpf_detach(b);
	ring_buffer__free(s->rb);
	if (s->reused) /* a load's programs go with the skeleton; kept ones are ours to close */
		for (int i = 0; i < s->nprogs; i++)
			if (s->prog_fds[i] >= 0)
				close(s->prog_fds[i]);
	phaseprof_bpf__destroy(s->skel);
	bpf_cache__release(&s->slot);
	free(s);
}

const struct backend_ops bpf_backend_ops = {
	.name = "bpf",
	.caps = BACKEND_STACKS,
	.open = bpf_open,
	.attach_tracepoints = bpf_attach_tracepoints,
	.attach_uprobes = bpf_attach_uprobes,
	.attach_sampling = bpf_attach_sampling,
	.attach_fallback = bpf_attach_fallback,
	.wait = bpf_wait,
	.drain = bpf_drain,
	.finish = bpf_finish,
	.lost = bpf_lost,
	.stacks = bpf_stacks,
	.attach_syscalls = bpf_attach_syscalls,
	.syscalls = bpf_syscalls,
	.attach_offcpu = bpf_attach_offcpu,
	.offcpu = bpf_offcpu,
	.own_cost = bpf_own_cost,
	.goes_with_fds = bpf_goes_with_fds,
	.set_stack_copy = bpf_set_stack_copy,
	.drain_often = bpf_drain_often,
	.take_link = bpf_take_link,
	.keeper_fd = bpf_keeper_fd,
	.keeper_done = bpf_keeper_done,
	.detach = bpf_detach,
	.close = bpf_close,
};
