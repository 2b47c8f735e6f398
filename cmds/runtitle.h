/* SPDX-License-Identifier: MIT */
/*
 * runtitle.h: the title of a run's flame graph, "node v20.20.2: fib.wasm,
 * 2026-11-30 21:20" (runtime, version, app, date), made by record when it
 * writes DIR/flamegraph.svg, and by `phaseprof flamegraph DIR/stacks.folded`
 * from the DIR/phases.json beside it.
 */
#ifndef PHASEPROF_RUNTITLE_H
#define PHASEPROF_RUNTITLE_H

#include <stddef.h>
#include <time.h>

/* argv: the command that ran (NULL-terminated); the app is its first module file argument */
void runtitle_format(char *buf, size_t len, const char *runtime, const char *version,
		     const char *const *argv, time_t when);
/* From the phases.json beside folded_path: 0, or -errno when there is none or it does not read */
int runtitle_from_dir(const char *folded_path, char *buf, size_t len);

#endif /* PHASEPROF_RUNTITLE_H */
