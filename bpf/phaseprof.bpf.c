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

static __always_inline int on_site(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	if (!is_tracked(tgid))
		return 0;
	emit(PP_EV_SITE, tgid, (__u32)id, 0, 0, bpf_get_attach_cookie(ctx), NULL);
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
