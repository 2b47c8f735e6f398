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
#include "phase_rules.h"

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
	__uint(max_entries, 16384); /* distinct stacks of one run; a full map drops new ones */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PP_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* a full map counts samples_lost */
	__type(key, struct pp_sample_key);
	__type(value, __u64);
} samples SEC(".maps");

/*
 * DWARF mode: samples with registers and a stack copy, for user space to
 * unwind. Each takes only the bytes it copied (most stacks are a few KiB
 * deep), so a small ring holds many samples.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized by user space before load */
} stack_samples SEC(".maps");

/*
 * DWARF mode: a sample is built here, then output at its true length. One
 * slot per CPU (a per-CPU map's values are limited to 32 KiB); a perf_event
 * program never interrupts itself on a CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* one per possible CPU, set by user space before load */
	__type(key, __u32);
	__type(value, struct pp_stack_sample);
} stack_scratch SEC(".maps");

/* DWARF mode: how much stack to copy, set by user space (<= PP_STACK_COPY_MAX) */
__u32 stack_copy_size = PP_STACK_COPY_MAX;
/* DWARF mode: samples that found the ring buffer full */
__u64 stack_samples_lost;
/* DWARF mode: wake the reader only past this much data (see WAKEUP_BYTES) */
__u64 stack_wakeup_bytes = 4 << 20;

/* samples that found no room in `samples`: reported */
__u64 samples_lost;
/* the runtime's main thread, set by user space before it execs */
__u32 root_tid;
bool root_exited;
/* the runtime's main thread has exec'd: before, it is phaseprof's own child code */
bool root_execed;
/* generic fallback: the module file's inode, set by user space; 0 for none */
__u64 module_ino;
/* this run's generation (pp_cookie_with_gen()): probes of an earlier run fire for nothing */
__u32 site_gen;

/* (tgid << 32 | fd) of open descriptors of the module file */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} module_fds SEC(".maps");

/* tgids whose first executable anonymous memory was reported */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} jit_seen SEC(".maps");

static __always_inline bool is_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&tracked, &tgid) != NULL;
}

/*
 * Whether what the process does is measured (stack samples, system calls,
 * waits): not while phaseprof's held child has yet to exec the runtime, or a
 * sample would name a "phaseprof" thread in the runtime's profile.
 */
static __always_inline bool is_measured(__u32 tgid)
{
	return is_tracked(tgid) && (tgid != root_tid || root_execed);
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

static __always_inline void apply_site(__u32 tid, __u64 cookie)
{
	struct pp_tstate *st = bpf_map_lookup_elem(&tstate, &tid);

	if (!st) {
		struct pp_tstate fresh;

		pp_tstate_init(&fresh);
		bpf_map_update_elem(&tstate, &tid, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&tstate, &tid);
		if (!st)
			return;
	}
	pp_rule_apply(st, cookie);
}

static __always_inline int on_site(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u64 cookie;

	cookie = bpf_get_attach_cookie(ctx);
	if (pp_cookie_gen(cookie) != site_gen || !is_tracked(tgid))
		return 0;
	apply_site((__u32)id, cookie);
	emit(PP_EV_SITE, tgid, (__u32)id, 0, 0, cookie, NULL);
	return 0;
}

/*
 * One program serves every probe site; the cookie says which site and what it
 * means. pp_site_multi is the same, loaded for uprobe_multi links (one link
 * per file, detached in one RCU grace period); pp_site_hit serves kernels without
 * them, one perf-event link per probe.
 */
SEC("uprobe")
int BPF_KPROBE(pp_site_hit)
{
	return on_site(ctx);
}

SEC("uprobe")
int BPF_KPROBE(pp_site_multi)
{
	return on_site(ctx);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pp_exec, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (!is_tracked(tgid))
		return 0;
	if (tgid == root_tid)
		root_execed = true;
	emit(PP_EV_EXEC, tgid, BPF_CORE_READ(p, pid), 0, 0, 0, NULL);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pp_fork, struct task_struct *parent, struct task_struct *child)
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
int BPF_PROG(pp_exit, struct task_struct *p)
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
int BPF_PROG(pp_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
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
 * A sample that interrupted user code has no kernel stack worth a walk (only
 * the timer interrupt's own frames): skip it, it is most of a sample's cost.
 */
static __always_inline __s32 kernel_stack(struct bpf_perf_event_data *ctx)
{
	/* the verifier takes only whole 8-byte context loads: cs's slot (csx), not cs */
	__u64 cs = ctx->regs.csx;

	if ((cs & 3) == 3)
		return -1;
	return bpf_get_stackid(ctx, &stacks, 0);
}

/* The sampled thread's phase, by the rules of phase_rules.h, from the states in the map. */
static __always_inline void sample_phase(__u32 tid, struct pp_sample_key *key)
{
	struct pp_tstate *own = bpf_map_lookup_elem(&tstate, &tid), *root = NULL;
	__u32 root_id = root_tid;

	if (tid != root_id)
		root = bpf_map_lookup_elem(&tstate, &root_id);
	pp_sample_phase(own, root, tid == root_id, root_exited, key);
}

SEC("perf_event")
int pp_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pp_sample_key key = {};
	__u64 one = 1, *count;

	key.tgid = id >> 32;
	if (!key.tgid || !is_measured(key.tgid))
		return 0;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	key.kstack = kernel_stack(ctx);
	sample_phase((__u32)id, &key);
	count = bpf_map_lookup_elem(&samples, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else if (bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST))
		__sync_fetch_and_add(&samples_lost, 1);
	return 0;
}

/* ---- the generic fallback: what any process shows, from its system calls ---- */

#define NR_READ 0
#define NR_OPEN 2
#define NR_CLOSE 3
#define NR_MMAP 9
#define NR_MPROTECT 10
#define NR_PREAD64 17
#define NR_PKEY_MPROTECT 329
#define NR_OPENAT 257
#define NR_OPENAT2 437
#define PROT_EXEC_ 0x4
#define MAP_ANONYMOUS_ 0x20

/* Process-wide phase changes go to the root main thread, as a mark would. */
static __always_inline void milestone(__u32 tgid, __u32 type, __u32 fd, int phase)
{
	__u64 cookie = pp_cookie(0, phase, PP_ACT_MARK, 0);

	emit(type, tgid, (__u32)bpf_get_current_pid_tgid(), fd, 0, 0, NULL);
	if (phase >= 0) {
		apply_site(root_tid, cookie);
		emit(PP_EV_MILESTONE, tgid, root_tid, fd, 0, cookie, NULL);
	}
}

static __always_inline bool is_module_file(int fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || fd > 65535)
		return false;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f && BPF_CORE_READ(f, f_inode, i_ino) == module_ino;
}

static __always_inline __u64 fd_key(__u32 tgid, long fd)
{
	return (__u64)tgid << 32 | (__u32)fd;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(pp_fb_exit, struct pt_regs *regs, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	long nr = BPF_CORE_READ(regs, orig_ax);
	__u64 key;
	__u8 one = 1;

	if (nr != NR_OPENAT && nr != NR_OPEN && nr != NR_OPENAT2)
		return 0;
	if (ret < 0 || !module_ino || !is_tracked(tgid) || !is_module_file(ret))
		return 0;
	key = fd_key(tgid, ret);
	bpf_map_update_elem(&module_fds, &key, &one, BPF_ANY);
	milestone(tgid, PP_EV_MODULE_OPEN, ret, PP_PHASE_LOAD);
	return 0;
}

static __always_inline void first_jit(__u32 tgid)
{
	__u8 one = 1;

	if (bpf_map_update_elem(&jit_seen, &tgid, &one, BPF_NOEXIST) == 0)
		milestone(tgid, PP_EV_JIT, 0, -1);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(pp_fb_enter, struct pt_regs *regs, long nr)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	long fd = BPF_CORE_READ(regs, di);
	__u64 key = fd_key(tgid, fd);

	if (!module_ino || !is_tracked(tgid))
		return 0;
	switch (nr) {
	case NR_READ:
	case NR_PREAD64:
		if (bpf_map_lookup_elem(&module_fds, &key))
			milestone(tgid, PP_EV_MODULE_READ, fd, -1);
		break;
	case NR_CLOSE:
		if (bpf_map_delete_elem(&module_fds, &key) == 0)
			milestone(tgid, PP_EV_MODULE_CLOSE, fd, PP_PHASE_UNKNOWN);
		break;
	case NR_MMAP:
		key = fd_key(tgid, BPF_CORE_READ(regs, r8));
		/* arg2 = 1: mapped; reads through the mapping are page faults, not seen */
		if (bpf_map_lookup_elem(&module_fds, &key))
			emit(PP_EV_MODULE_READ, tgid, (__u32)bpf_get_current_pid_tgid(), (__u32)key,
			     1, 0, NULL);
		else if ((BPF_CORE_READ(regs, dx) & PROT_EXEC_) &&
			 (BPF_CORE_READ(regs, r10) & MAP_ANONYMOUS_))
			first_jit(tgid);
		break;
	case NR_MPROTECT:
	case NR_PKEY_MPROTECT: /* V8 flips its wasm code space with a protection key */
		/* JIT engines map code writable, then flip it executable */
		if (BPF_CORE_READ(regs, dx) & PROT_EXEC_) {
			__u32 root = root_tid;
			struct pp_tstate *st = bpf_map_lookup_elem(&tstate, &root);

			/* after the module was opened: ld.so's own flips come before */
			if (st && st->seq)
				first_jit(tgid);
		}
		break;
	}
	return 0;
}

struct vma_end_ctx {
	__u64 end;
};

static long vma_end_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	((struct vma_end_ctx *)data)->end = vma->vm_end;
	return 0;
}

#define PAGE_SIZE_ 4096

/*
 * bpf_find_vma() gives up while another thread holds the mm's lock (a runtime
 * starting its threads maps memory all the time). Then copy page by page up
 * to the first page that cannot be read: the end of the stack.
 */
static __always_inline __u32 copy_stack_by_page(struct pp_stack_sample *s, __u32 limit)
{
	__u32 first = PAGE_SIZE_ - (s->sp & (PAGE_SIZE_ - 1)), off;

	if (bpf_probe_read_user(s->data, first & (PAGE_SIZE_ * 2 - 1), (void *)s->sp))
		return 0;
	off = first;
	for (int i = 0; i < PP_STACK_COPY_MAX / PAGE_SIZE_; i++) {
		__u32 o = off & (PP_STACK_COPY_MAX - 1); /* off itself, bounded for the verifier */

		if (off > limit - PAGE_SIZE_ || o != off)
			break;
		if (bpf_probe_read_user(s->data + o, PAGE_SIZE_, (void *)(s->sp + o)))
			break;
		off += PAGE_SIZE_;
	}
	return off;
}

/* Copy the user stack from sp to the end of its mapping, at most stack_copy_size bytes. */
static __always_inline void copy_stack(struct task_struct *task, struct pp_stack_sample *s)
{
	struct vma_end_ctx ctx = {};
	__u32 limit = stack_copy_size > PP_STACK_COPY_MAX ? PP_STACK_COPY_MAX : stack_copy_size;
	__u64 n;

	s->size = 0;
	if (bpf_find_vma(task, s->sp, vma_end_cb, &ctx, 0) || ctx.end <= s->sp) {
		s->size = copy_stack_by_page(s, limit);
		return;
	}
	n = ctx.end - s->sp < limit ? ctx.end - s->sp : limit;
	if (n > PP_STACK_COPY_MAX)
		n = PP_STACK_COPY_MAX;
	if (bpf_probe_read_user(s->data, n, (void *)s->sp) == 0)
		s->size = n;
	else
		s->size = copy_stack_by_page(s, limit);
}

/* The return addresses pending uretprobes hid, from the task's uprobe state. */
static __always_inline void pending_returns(struct task_struct *task, struct pp_stack_sample *s)
{
	struct uprobe_task *ut = BPF_CORE_READ(task, utask);
	struct return_instance *ri = ut ? BPF_CORE_READ(ut, return_instances) : NULL;

	s->nret = 0;
	for (int i = 0; i < PP_MAX_RET_INSTANCES && ri; i++) {
		s->ret_slot[i] = BPF_CORE_READ(ri, stack);
		s->ret_orig[i] = BPF_CORE_READ(ri, orig_ret_vaddr);
		s->nret = i + 1;
		ri = BPF_CORE_READ(ri, next);
	}
}

SEC("perf_event")
int pp_sample_dwarf(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct pp_stack_sample *s;
	struct pt_regs *regs;
	__u32 tgid = id >> 32;
	__u32 cpu = bpf_get_smp_processor_id(), len;

	if (!tgid || !is_measured(tgid))
		return 0;
	s = bpf_map_lookup_elem(&stack_scratch, &cpu);
	if (!s)
		return 0;
	__builtin_memset(&s->key, 0, sizeof(s->key));
	s->key.tgid = tgid;
	s->key.ustack = -1;
	s->tid = (__u32)id;
	bpf_get_current_comm(s->key.comm, sizeof(s->key.comm));
	s->key.kstack = kernel_stack(ctx);
	sample_phase((__u32)id, &s->key);
	/* the user registers, wherever the sample caught the thread */
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	s->ip = BPF_CORE_READ(regs, ip);
	s->sp = BPF_CORE_READ(regs, sp);
	s->bp = BPF_CORE_READ(regs, bp);
	s->bx = BPF_CORE_READ(regs, bx);
	s->r12 = BPF_CORE_READ(regs, r12);
	s->r13 = BPF_CORE_READ(regs, r13);
	s->r14 = BPF_CORE_READ(regs, r14);
	s->r15 = BPF_CORE_READ(regs, r15);
	copy_stack(task, s);
	pending_returns(task, s);
	len = offsetof(struct pp_stack_sample, data) + (s->size & (PP_STACK_COPY_MAX * 2 - 1));
	if (len > sizeof(*s))
		len = sizeof(*s);
	if (bpf_ringbuf_output(&stack_samples, s, len,
			       bpf_ringbuf_query(&stack_samples, BPF_RB_AVAIL_DATA) >
					       stack_wakeup_bytes ?
				       BPF_RB_FORCE_WAKEUP :
				       BPF_RB_NO_WAKEUP))
		__sync_fetch_and_add(&stack_samples_lost, 1);
	return 0;
}

/* ---- --syscalls: system calls per (phase, thread, call), counted here ---- */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pp_sys_key);
	__type(value, struct pp_sys_val);
} sys_counts SEC(".maps");

/* a tracked thread's system call in progress: when it entered, and its key */
struct sys_entry {
	__u64 ts;
	struct pp_sys_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct sys_entry);
} sys_start SEC(".maps");

/* calls that found no room in sys_counts: reported */
__u64 sys_lost;

/* Counted at entry (exit and exit_group never return), timed at exit. */
SEC("tp_btf/sys_enter")
int BPF_PROG(pp_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sys_entry e = { .key = { .tid = (__u32)id, .nr = (__u32)nr } };
	struct pp_sample_key sk = {};
	struct pp_sys_val one = { 1, 0 }, *v;

	if (nr < 0 || !is_measured(id >> 32))
		return 0;
	sample_phase((__u32)id, &sk);
	e.key.phase = sk.phase;
	e.key.flags = sk.flags;
	e.key.seq = sk.seq;
	v = bpf_map_lookup_elem(&sys_counts, &e.key);
	if (v)
		__sync_fetch_and_add(&v->count, 1);
	else if (bpf_map_update_elem(&sys_counts, &e.key, &one, BPF_NOEXIST))
		__sync_fetch_and_add(&sys_lost, 1);
	e.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&sys_start, &e.key.tid, &e, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(pp_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sys_entry *e = bpf_map_lookup_elem(&sys_start, &tid);
	struct pp_sys_val *v;

	if (!e || !e->ts)
		return 0;
	v = bpf_map_lookup_elem(&sys_counts, &e->key);
	if (v)
		__sync_fetch_and_add(&v->ns, bpf_ktime_get_ns() - e->ts);
	e->ts = 0;
	return 0;
}

/* ---- --off-cpu: blocked time per phase, thread and stack, and who ended it ---- */

/* blocked time in ns, by the stack and phase it blocked in (the key of `samples`) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pp_sample_key);
	__type(value, __u64);
} off_stacks SEC(".maps");

/* blocked time by thread, phase and waker (count, ns) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pp_wait_key);
	__type(value, struct pp_sys_val);
} off_waits SEC(".maps");

/* a tracked thread now blocked: since when, where, and (once woken) by whom */
struct off_entry {
	__u64 ts;
	struct pp_sample_key where;
	__u32 waker, waker_seq;
	__u8 waker_phase, waker_flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct off_entry);
} off_start SEC(".maps");

/* blocked stretches that found no room in off_stacks or off_waits */
__u64 off_lost;

/* task_struct::state became __state in Linux 5.14 (commit 2f064a59a11f) */
struct task_struct___pre_5_14 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre_5_14 *)t, state);
}

static __always_inline void add_ns(void *map, const void *key, __u64 ns)
{
	__u64 *v = bpf_map_lookup_elem(map, key);

	if (v)
		__sync_fetch_and_add(v, ns);
	else if (bpf_map_update_elem(map, key, &ns, BPF_NOEXIST))
		__sync_fetch_and_add(&off_lost, 1);
}

/* prev blocks (not preempted: it stays runnable then): remember where. */
static __always_inline void off_begin(void *ctx, struct task_struct *prev, __u32 tgid)
{
	struct off_entry e = {};
	__u32 tid = BPF_CORE_READ(prev, pid);

	e.ts = bpf_ktime_get_ns();
	e.where.tgid = tgid;
	BPF_CORE_READ_STR_INTO(&e.where.comm, prev, comm);
	/* the switch runs on prev's stack, in its context */
	e.where.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	e.where.kstack = bpf_get_stackid(ctx, &stacks, 0);
	sample_phase(tid, &e.where);
	bpf_map_update_elem(&off_start, &tid, &e, BPF_ANY);
}

static __always_inline void off_end(struct task_struct *next)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	struct off_entry *e = bpf_map_lookup_elem(&off_start, &tid);
	struct pp_wait_key wk = {};
	struct pp_sys_val one = { 1, 0 }, *v;
	__u64 ns;

	if (!e)
		return;
	ns = bpf_ktime_get_ns() - e->ts;
	add_ns(&off_stacks, &e->where, ns);
	wk.tid = tid;
	wk.phase = e->where.phase;
	wk.flags = e->where.flags;
	wk.seq = e->where.seq;
	wk.waker = e->waker;
	wk.waker_phase = e->waker_phase;
	wk.waker_flags = e->waker_flags;
	wk.waker_seq = e->waker_seq;
	v = bpf_map_lookup_elem(&off_waits, &wk);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		__sync_fetch_and_add(&v->ns, ns);
	} else {
		one.ns = ns;
		if (bpf_map_update_elem(&off_waits, &wk, &one, BPF_NOEXIST))
			__sync_fetch_and_add(&off_lost, 1);
	}
	bpf_map_delete_elem(&off_start, &tid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(pp_offcpu, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 prev_tgid = BPF_CORE_READ(prev, tgid);

	if (task_state(prev) != 0 && is_measured(prev_tgid))
		off_begin(ctx, prev, prev_tgid);
	if (is_tracked(BPF_CORE_READ(next, tgid)))
		off_end(next);
	return 0;
}

/* Runs in the waker's context: a tracked waker is named, with its phase. */
SEC("tp_btf/sched_waking")
int BPF_PROG(pp_waking, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);
	struct off_entry *e = bpf_map_lookup_elem(&off_start, &tid);
	__u64 id = bpf_get_current_pid_tgid();
	struct pp_sample_key k = {};

	if (!e)
		return 0;
	if (!is_tracked(id >> 32)) {
		e->waker = 0;
		return 0;
	}
	sample_phase((__u32)id, &k);
	e->waker = (__u32)id;
	e->waker_phase = k.phase;
	e->waker_flags = k.flags;
	e->waker_seq = k.seq;
	return 0;
}
