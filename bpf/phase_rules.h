/* SPDX-License-Identifier: MIT */
/*
 * phase_rules.h: the phase state machine, once. The kernel half
 * (bpf/phaseprof.bpf.c) keeps a thread's state in a map and tags each stack
 * sample with it; the user half's model (model/phases.c) replays the same
 * events through the same functions to time the phases. tests/unit/
 * test_phase_rules.c drives both with the same event streams.
 *
 * Per thread, a stack of open phases; the innermost owns the time:
 *   PP_ACT_PUSH opens a bracket; PP_ACT_POP closes the innermost bracket of its
 *   phase (and any mark above it); PP_ACT_MARK replaces the mark on top of the
 *   stack, or pushes one when the top is a bracket. Past PP_MAX_DEPTH, pushes
 *   are only counted, and the next pops take them back first.
 * On the root process's main thread, time before the first phase is startup,
 * time after the last phase closed is teardown, and time between a close and
 * the next open stays with the phase that closed (it lingers). Every other
 * thread's time outside its own phases belongs to the phase the main thread is
 * in; after the main thread exited, to teardown (startup when the main thread
 * ended in startup: see pp_after_root()).
 *
 * Written for the BPF verifier as much as for a C compiler: loops bounded by
 * PP_MAX_DEPTH, every index masked into the arrays, no function pointers.
 */
#ifndef PHASEPROF_PHASE_RULES_H
#define PHASEPROF_PHASE_RULES_H

#include "phaseprof.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define PP_DEPTH_MASK (PP_MAX_DEPTH - 1)

/* What a rule did to a thread's state. */
enum pp_rule_effect {
	PP_RULE_NONE,	   /* nothing: a mark of the phase already marked, a bad phase */
	PP_RULE_ENTER,	   /* a phase was entered: a bracket opened, a mark set */
	PP_RULE_LEAVE,	   /* a bracket closed, with any mark above it */
	PP_RULE_OVERFLOW,  /* a push past PP_MAX_DEPTH counted, or such a push taken back */
	PP_RULE_UNMATCHED, /* a close with no open bracket of its phase */
};

static __always_inline void pp_tstate_init(struct pp_tstate *st)
{
	__builtin_memset(st, 0, sizeof(*st));
	st->linger = -1;
}

/* The innermost open phase, or -1 when none is open. */
static __always_inline int pp_tstate_top(const struct pp_tstate *st)
{
	return st->depth ? st->phase[(st->depth - 1) & PP_DEPTH_MASK] : -1;
}

static __always_inline int pp_rule_push(struct pp_tstate *st, __u8 phase, __u8 mark)
{
	if (st->depth >= PP_MAX_DEPTH) {
		st->overflow++;
		return PP_RULE_OVERFLOW;
	}
	st->phase[st->depth & PP_DEPTH_MASK] = phase;
	st->mark[st->depth & PP_DEPTH_MASK] = mark;
	st->depth++;
	st->seq++;
	return PP_RULE_ENTER;
}

/* Close the innermost bracket of this phase, and any mark above it. */
static __always_inline int pp_rule_pop(struct pp_tstate *st, __u8 phase)
{
	if (st->overflow) {
		st->overflow--;
		return PP_RULE_OVERFLOW;
	}
	for (int k = 0; k < PP_MAX_DEPTH; k++) {
		int i = (int)st->depth - 1 - k;

		if (i < 0)
			break;
		if (!st->mark[i & PP_DEPTH_MASK] && st->phase[i & PP_DEPTH_MASK] == phase) {
			st->depth = i;
			if (!i)
				st->linger = phase;
			st->seq++;
			return PP_RULE_LEAVE;
		}
	}
	return PP_RULE_UNMATCHED;
}

static __always_inline int pp_rule_mark(struct pp_tstate *st, __u8 phase)
{
	__u32 top = (st->depth - 1) & PP_DEPTH_MASK;

	if (st->depth && st->mark[top]) {
		if (st->phase[top] == phase)
			return PP_RULE_NONE;
		st->phase[top] = phase;
		st->seq++;
		return PP_RULE_ENTER;
	}
	return pp_rule_push(st, phase, 1);
}

/* A probe site fired (or the fallback derived a milestone): its cookie says what it means. */
static __always_inline int pp_rule_apply(struct pp_tstate *st, __u64 cookie)
{
	int phase = pp_cookie_phase(cookie);

	if (phase >= PP_PHASE_COUNT)
		return PP_RULE_NONE;
	switch (pp_cookie_action(cookie)) {
	case PP_ACT_PUSH:
		return pp_rule_push(st, phase, 0);
	case PP_ACT_POP:
		return pp_rule_pop(st, phase);
	case PP_ACT_MARK:
		return pp_rule_mark(st, phase);
	}
	return PP_RULE_NONE;
}

/*
 * Other threads' time after the root main thread exited: teardown, unless the
 * main thread ended in startup (it never opened a phase, or its last was a
 * startup bracket): a run that failed before its first phase has no teardown.
 */
static __always_inline int pp_after_root(const struct pp_tstate *root)
{
	int last = PP_PHASE_STARTUP;

	if (root && root->depth)
		last = pp_tstate_top(root);
	else if (root && root->linger >= 0)
		last = PP_PHASE_TEARDOWN; /* its last stretch lingered: teardown */
	return last == PP_PHASE_STARTUP ? PP_PHASE_STARTUP : PP_PHASE_TEARDOWN;
}

/*
 * The phase a stack sample belongs to, decided at the instant it is taken:
 * own is the sampled thread's state, root the root main thread's (either may
 * be NULL: no site fired on it yet). A lingering phase of the main thread is
 * flagged with its seq: whether that stretch was the last (teardown) is known
 * only at the end, by pp_sample_resolve().
 */
static __always_inline void pp_sample_phase(const struct pp_tstate *own,
					    const struct pp_tstate *root, int on_root,
					    int root_exited, struct pp_sample_key *key)
{
	const struct pp_tstate *st = own;

	if (st && st->depth) {
		key->phase = pp_tstate_top(st);
		return;
	}
	if (!on_root) {
		if (root_exited) {
			key->phase = pp_after_root(root);
			return;
		}
		st = root;
		if (st && st->depth) {
			key->phase = pp_tstate_top(st);
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

/* A sample's phase once the run is over: final_seq is the root main thread's last seq. */
static __always_inline int pp_sample_resolve(const struct pp_sample_key *key, __u32 final_seq)
{
	if (key->phase >= PP_PHASE_COUNT)
		return PP_PHASE_STARTUP;
	if ((key->flags & PP_SAMPLE_LINGER) && key->seq == final_seq)
		return PP_PHASE_TEARDOWN;
	return key->phase;
}

#endif /* PHASEPROF_PHASE_RULES_H */
