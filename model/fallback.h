/* SPDX-License-Identifier: MIT */
/*
 * fallback.h: the generic fallback, for a runtime with no profile or whose
 * profile's functions cannot be found (a stripped binary). It sees only what
 * any process shows: exec, the module file opened, read and closed, the first
 * executable anonymous memory (JIT code), and exit. So it tells startup (exec
 * until the module is opened) and load (the module-read span: until its last
 * read or mapping) apart; the rest, and the time a module stays open after
 * its last read, is `unknown`, never guessed.
 */
#ifndef PHASEPROF_FALLBACK_H
#define PHASEPROF_FALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "phaseprof.h"
#include "profile.h"

/* What the fallback saw, in ns from the run's start; -1 when it did not happen. */
struct fallback_view {
	int64_t module_open_ns, module_close_ns, last_read_ns, jit_ns;
	uint64_t reads;
	bool mapped; /* the module was mapped: reads through the mapping are not seen */
};

/*
 * The module file among the runtime's arguments: forced if given, else the
 * first existing regular file named *.wasm, *.wat, *.cwasm or *.aot, else the
 * first existing regular file. 0 with path and inode filled, or -ENOENT.
 */
int fallback__module(char *const *args, size_t nargs, const char *forced, char *path, size_t len,
		     uint64_t *ino);
/* The built-in profile the fallback runs with when no profile names the runtime. */
int fallback__profile(struct profile **out);
void fallback__view(const struct pp_event *ev, size_t n, uint64_t start_ts,
		    struct fallback_view *v);
/*
 * The milestones the kernel half cannot make: the end of load at the module's
 * last read (it sees closes only; a module kept open is closed at exit), and, without a module
 * file, unknown from exec on. ev must have room for two more events; returns
 * the new count.
 */
size_t fallback__milestones(struct pp_event *ev, size_t n, uint32_t root, bool have_module);
/* Phases the fallback can see; the others are reported as not seen. */
bool fallback__sees(int phase);

#endif /* PHASEPROF_FALLBACK_H */
