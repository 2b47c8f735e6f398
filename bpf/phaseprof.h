/* SPDX-License-Identifier: MIT */
/*
 * phaseprof.h: what the kernel half (bpf/phaseprof.bpf.c) and the user half
 * (user space) share: event records, cookie layout, phases. Self-contained:
 * UAPI types only, so both vmlinux.h and <linux/types.h> users can include it.
 */
#ifndef PHASEPROF_BPF_H
#define PHASEPROF_BPF_H

#define PP_COMM_LEN 16

/*
 * Canonical phases, in run order, then `unknown`: time the generic fallback
 * cannot put in any phase (it sees when the module was read, not what came
 * after). PP_PHASE_COUNT bounds every per-phase array.
 */
enum pp_phase {
	PP_PHASE_STARTUP = 0,
	PP_PHASE_LOAD,
	PP_PHASE_COMPILE,
	PP_PHASE_INSTANTIATE,
	PP_PHASE_EXECUTE,
	PP_PHASE_TEARDOWN,
	PP_PHASE_UNKNOWN,
	PP_PHASE_COUNT,
};

/* The canonical phases a profile can name: all but unknown. */
#define PP_PHASE_CANONICAL PP_PHASE_UNKNOWN

/* What a probe hit does to its thread's phase stack. */
enum pp_action {
	PP_ACT_PUSH = 1, /* a bracket opens (entry of a `during` or bracket `open` site) */
	PP_ACT_POP,      /* a bracket closes (return of a `during` site, or a `close` site) */
	PP_ACT_MARK,     /* an entry-only phase starts and replaces the current mark */
};

/*
 * A uprobe's BPF cookie: which site fired, and what it means. The phase and
 * action ride along so the kernel half can keep per-thread phase state later
 * (stack sampling tags samples with it) without a map lookup.
 */
#define PP_COOKIE_SITE_MASK 0xffffffffULL
#define PP_COOKIE_PHASE_SHIFT 32
#define PP_COOKIE_ACTION_SHIFT 40
#define PP_COOKIE_RETURN (1ULL << 48)
/*
 * The run that attached the probe (1 to PP_COOKIE_GEN_MAX), set at attach
 * time, not in the plan: a kept instance's next run may start while the
 * uprobe links of the one before still come down, and their hits must not
 * count (on_site() compares it with site_gen).
 */
#define PP_COOKIE_GEN_SHIFT 52
#define PP_COOKIE_GEN_MAX 0xfffU

/* The one place a cookie is made and taken apart (plan.c makes them, both halves read them). */
static inline __u64 pp_cookie(__u32 site, int phase, int action, int ret)
{
	return (__u64)site | (__u64)(__u8)phase << PP_COOKIE_PHASE_SHIFT |
	       (__u64)(__u8)action << PP_COOKIE_ACTION_SHIFT | (ret ? PP_COOKIE_RETURN : 0);
}

static inline __u64 pp_cookie_with_gen(__u64 c, __u32 gen)
{
	return (c & ~((__u64)PP_COOKIE_GEN_MAX << PP_COOKIE_GEN_SHIFT)) |
	       (__u64)(gen & PP_COOKIE_GEN_MAX) << PP_COOKIE_GEN_SHIFT;
}

static inline __u32 pp_cookie_gen(__u64 c)
{
	return (c >> PP_COOKIE_GEN_SHIFT) & PP_COOKIE_GEN_MAX;
}

static inline __u32 pp_cookie_site(__u64 c)
{
	return c & PP_COOKIE_SITE_MASK;
}

static inline int pp_cookie_phase(__u64 c)
{
	return (c >> PP_COOKIE_PHASE_SHIFT) & 0xff;
}

static inline int pp_cookie_action(__u64 c)
{
	return (c >> PP_COOKIE_ACTION_SHIFT) & 0xff;
}

static inline int pp_cookie_is_return(__u64 c)
{
	return (c & PP_COOKIE_RETURN) != 0;
}

enum pp_event_type {
	PP_EV_EXEC = 1, /* a tracked process exec'd: arg = 0 */
	PP_EV_FORK,     /* a tracked task created a thread or process: tid/tgid = the child, arg = parent tid */
	PP_EV_EXIT,     /* a tracked thread exited: arg = exit code, arg2 = 1 when its group is dead */
	PP_EV_SITE,     /* a probe site fired: cookie = the site's cookie */
	PP_EV_ONCPU,    /* a tracked thread was switched in */
	PP_EV_OFFCPU,   /* a tracked thread was switched out */
	/* the generic fallback's view: the module file and JIT code */
	PP_EV_MODULE_OPEN,  /* the module file was opened: arg = fd */
	PP_EV_MODULE_READ,  /* read or mapped: arg = fd, arg2 = 1 when mapped */
	PP_EV_MODULE_CLOSE, /* arg = fd */
	PP_EV_JIT,          /* first anonymous executable memory of a process */
	/* a process-wide phase change the fallback derived: cookie as a MARK site's */
	PP_EV_MILESTONE,
};

/* Deepest phase nesting tracked per thread (both halves agree on it). */
#define PP_MAX_DEPTH 16

/*
 * Per-thread phase state: kept by the kernel half so every stack sample is
 * tagged with its thread's phase at that instant, and by the user half's model
 * (model/phases.c) as it replays the events. Both change it only through
 * the rules in phase_rules.h.
 */
struct pp_tstate {
	__u32 seq;      /* state changes so far (tells the last lingering stretch) */
	__u8 depth;
	__u8 overflow;  /* pushes beyond PP_MAX_DEPTH, popped first */
	__s8 linger;    /* the phase that closed last, -1 before any */
	__u8 pad;
	__u8 phase[PP_MAX_DEPTH];
	__u8 mark[PP_MAX_DEPTH];
};

/* A sample's phase is the root main thread's lingering one: user space decides
 * whether that stretch turned out to be teardown (seq is the main thread's). */
#define PP_SAMPLE_LINGER 1

/* What samples are counted by: one entry per distinct stack in a phase. */
struct pp_sample_key {
	__u32 tgid;
	__u32 seq;    /* with PP_SAMPLE_LINGER only, else 0 */
	__s32 ustack; /* stack map ids; negative when there was none */
	__s32 kstack;
	__u8 phase;
	__u8 flags;
	__u8 pad[2];
	char comm[PP_COMM_LEN]; /* the thread's name */
};

#define PP_MAX_STACK_DEPTH 127

/* DWARF mode: the most user stack one sample copies (a power of two) */
#define PP_STACK_COPY_MAX (32 << 10)

/*
 * DWARF mode: one sample with what user space needs to unwind it, the user
 * registers and a copy of the stack from sp up. Same phase tagging as
 * pp_sample_key; the kernel stack still goes through the stack map.
 */
#define PP_MAX_RET_INSTANCES 16

struct pp_stack_sample {
	struct pp_sample_key key; /* ustack unused (-1) */
	__u32 tid;
	__u32 size; /* bytes of data copied */
	__u64 ip, sp, bp, bx, r12, r13, r14, r15;
	/*
	 * Pending uretprobes (ours and anyone's) have replaced return addresses on
	 * the stack with the kernel's trampoline: the stack slot each replaced,
	 * and the address that was there.
	 */
	__u32 nret;
	__u32 pad;
	__u64 ret_slot[PP_MAX_RET_INSTANCES];
	__u64 ret_orig[PP_MAX_RET_INSTANCES];
	/* a page more than is ever copied: room the verifier can see for a page read */
	__u8 data[PP_STACK_COPY_MAX + 4096];
};

struct pp_event {
	__u64 ts; /* CLOCK_MONOTONIC, ns */
	__u64 cookie;
	__u32 type;
	__u32 tgid;
	__u32 tid;
	__u32 arg;
	__u32 arg2;
	__u32 cpu;
	char comm[PP_COMM_LEN];
};

/*
 * --syscalls: system calls counted in the kernel by thread, call number and
 * the thread's phase at entry (tagged as stack samples are: phase, and for
 * the root main thread's lingering phase the flag and seq).
 */
struct pp_sys_key {
	__u32 tid;
	__u32 nr;
	__u32 seq;
	__u8 phase;
	__u8 flags;
	__u8 pad[2];
};

struct pp_sys_val {
	__u64 count;
	__u64 ns; /* entry to exit, for the calls that returned */
};

/*
 * --off-cpu: one stretch a tracked thread spent blocked, by who woke it. The
 * thread's phase when it blocked and the waker's when it woke it are tagged
 * as stack samples are. waker is 0 when no tracked thread did (a timer, an
 * interrupt, another process).
 */
struct pp_wait_key {
	__u32 tid;
	__u32 seq;
	__u32 waker;
	__u32 waker_seq;
	__u8 phase;
	__u8 flags;
	__u8 waker_phase;
	__u8 waker_flags;
};

#endif /* PHASEPROF_BPF_H */
