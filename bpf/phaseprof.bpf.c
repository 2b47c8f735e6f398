// SPDX-License-Identifier: GPL-2.0
/*
 * phaseprof.bpf.c: the kernel half of `phaseprof record`. It follows the
 * processes in `tracked` (the runtime phaseprof started, and every process it
 * forks), and streams their exec/fork/exit, scheduling and probe-site events
 * to user space through one ring buffer. Nothing outside `tracked` is
 * reported, so two phaseprof runs on one binary never see each other.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "phaseprof.h"

char LICENSE[] SEC("license") = "GPL";

/* tgid -> 1 for every process of this run; seeded by user space before exec */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by user space before load */
} events SEC(".maps");

/* events that found the ring buffer full: reported, never silently dropped */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* thread id -> its phase state; threads of untracked processes never get one */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pp_tstate);
} tstate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384); /* resized by user space before load */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PP_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by user space before load */
	__type(key, struct pp_sample_key);
	__type(value, __u64);
} samples SEC(".maps");

/* samples that found no room in `samples`: reported */
__u64 samples_lost;
/* the runtime's main thread, set by user space before it execs */
__u32 root_tid;
bool root_exited;

static __always_inline bool is_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&tracked, &tgid) != NULL;
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

/*
 * Waking the reader for every event would make it preempt the very threads
 * it watches, and each preemption is another event. User space drains the
 * buffer on its own schedule; only a filling buffer wakes it early.
 */
#define WAKEUP_BYTES (256 << 10)

static __always_inline long wakeup_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP :
									       BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(__u32 type, __u32 tgid, __u32 tid, __u32 arg, __u32 arg2,
				 __u64 cookie, const char *comm)
{
	struct pp_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost();
		return;
	}
	e->ts = bpf_ktime_get_ns();
	e->type = type;
	e->tgid = tgid;
	e->tid = tid;
	e->arg = arg;
	e->arg2 = arg2;
	e->cookie = cookie;
	e->cpu = bpf_get_smp_processor_id();
	if (comm)
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
	else
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, wakeup_flag());
}

#define DEPTH_MASK (PP_MAX_DEPTH - 1)

static __always_inline void state_push(struct pp_tstate *st, __u8 phase, __u8 mark)
{
	if (st->depth >= PP_MAX_DEPTH) {
		st->overflow++;
		return;
	}
	st->phase[st->depth & DEPTH_MASK] = phase;
	st->mark[st->depth & DEPTH_MASK] = mark;
	st->depth++;
	st->seq++;
}

/* Close the innermost bracket of this phase, and any mark above it. */
static __always_inline void state_pop(struct pp_tstate *st, __u8 phase)
{
	if (st->overflow) {
		st->overflow--;
		return;
	}
	for (int k = 0; k < PP_MAX_DEPTH; k++) {
		int i = (int)st->depth - 1 - k;

		if (i < 0)
			return;
		if (!st->mark[i & DEPTH_MASK] && st->phase[i & DEPTH_MASK] == phase) {
			st->depth = i;
			if (!i)
				st->linger = phase;
			st->seq++;
			return;
		}
	}
}

static __always_inline void state_mark(struct pp_tstate *st, __u8 phase)
{
	__u32 top = (st->depth - 1) & DEPTH_MASK;

	if (st->depth && st->mark[top]) {
		if (st->phase[top] != phase) {
			st->phase[top] = phase;
			st->seq++;
		}
		return;
	}
	state_push(st, phase, 1);
}

static __always_inline void apply_site(__u32 tid, __u64 cookie)
{
	struct pp_tstate *st = bpf_map_lookup_elem(&tstate, &tid);
	__u8 phase = cookie >> PP_COOKIE_PHASE_SHIFT;

	if (!st) {
		struct pp_tstate fresh = { .linger = -1 };

		bpf_map_update_elem(&tstate, &tid, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&tstate, &tid);
		if (!st)
			return;
	}
	switch ((cookie >> PP_COOKIE_ACTION_SHIFT) & 0xff) {
	case PP_ACT_PUSH:
		state_push(st, phase, 0);
		break;
	case PP_ACT_POP:
		state_pop(st, phase);
		break;
	case PP_ACT_MARK:
		state_mark(st, phase);
		break;
	}
}

static __always_inline int on_site(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u64 cookie;

	if (!is_tracked(tgid))
		return 0;
	cookie = bpf_get_attach_cookie(ctx);
	apply_site((__u32)id, cookie);
	emit(PP_EV_SITE, tgid, (__u32)id, 0, 0, cookie, NULL);
	return 0;
}

/*
 * One program serves every probe site; the cookie says which site and what it
 * means. site_hit_multi is the same, loaded for uprobe_multi links (one link
 * per file, detached in one RCU grace period); site_hit serves kernels without
 * them, one perf-event link per probe.
 */
SEC("uprobe")
int BPF_KPROBE(site_hit)
{
	return on_site(ctx);
}

SEC("uprobe")
int BPF_KPROBE(site_hit_multi)
{
	return on_site(ctx);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (is_tracked(tgid))
		emit(PP_EV_EXEC, tgid, BPF_CORE_READ(p, pid), 0, 0, 0, NULL);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (!is_tracked(ptgid))
		return 0;
	if (ctgid != ptgid)
		bpf_map_update_elem(&tracked, &ctgid, &one, BPF_ANY);
	emit(PP_EV_FORK, ctgid, BPF_CORE_READ(child, pid), BPF_CORE_READ(parent, pid), 0, 0,
	     child->comm);
	return 0;
}

/* Fires once per exiting thread; signal->live reaches 0 with the group's last thread. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	__u32 group_dead;

	if (!is_tracked(tgid))
		return 0;
	group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;
	if (BPF_CORE_READ(p, pid) == root_tid)
		root_exited = true;
	emit(PP_EV_EXIT, tgid, BPF_CORE_READ(p, pid), BPF_CORE_READ(p, exit_code), group_dead, 0,
	     NULL);
	if (group_dead)
		bpf_map_delete_elem(&tracked, &tgid);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 prev_tgid = BPF_CORE_READ(prev, tgid);
	__u32 next_tgid = BPF_CORE_READ(next, tgid);

	if (is_tracked(prev_tgid))
		emit(PP_EV_OFFCPU, prev_tgid, BPF_CORE_READ(prev, pid), 0, 0, 0, prev->comm);
	if (is_tracked(next_tgid))
		emit(PP_EV_ONCPU, next_tgid, BPF_CORE_READ(next, pid), 0, 0, 0, next->comm);
	return 0;
}

/*
 * The phase a sample belongs to, as the user half's model decides it: the
 * thread's innermost open phase; else, on the root main thread, the phase that
 * closed last (flagged: it may turn out to be teardown) or startup; else, on
 * any other thread, the root main thread's phase.
 */
static __always_inline void sample_phase(__u32 tid, struct pp_sample_key *key)
{
	struct pp_tstate *st = bpf_map_lookup_elem(&tstate, &tid);

	if (st && st->depth) {
		key->phase = st->phase[(st->depth - 1) & DEPTH_MASK];
		return;
	}
	if (tid != root_tid) {
		__u32 root = root_tid;

		if (root_exited) {
			key->phase = PP_PHASE_TEARDOWN;
			return;
		}
		st = bpf_map_lookup_elem(&tstate, &root);
		if (st && st->depth) {
			key->phase = st->phase[(st->depth - 1) & DEPTH_MASK];
			return;
		}
	}
	if (st && st->linger >= 0) {
		key->phase = st->linger;
		key->flags = PP_SAMPLE_LINGER;
		key->seq = st->seq;
		return;
	}
	key->phase = PP_PHASE_STARTUP;
}

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pp_sample_key key = {};
	__u64 one = 1, *count;

	key.tgid = id >> 32;
	if (!key.tgid || !is_tracked(key.tgid))
		return 0;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	key.kstack = bpf_get_stackid(ctx, &stacks, 0);
	sample_phase((__u32)id, &key);
	count = bpf_map_lookup_elem(&samples, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else if (bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST))
		__sync_fetch_and_add(&samples_lost, 1);
	return 0;
}
