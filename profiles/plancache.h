/* SPDX-License-Identifier: MIT */
/*
 * plancache.h: resolved plans kept between runs. Resolving a profile against
 * a big runtime (node: 107k symbols) costs tens of milliseconds on every run;
 * the answer only changes when the profile or a file the plan depends on
 * does. Entries live in /var/cache/phaseprof/plans ($PHASEPROF_CACHE_DIR),
 * only fully resolved plans are kept, and every file's identity (device,
 * inode, size, mtime, ctime) is checked on every use.
 */
#ifndef PHASEPROF_PLANCACHE_H
#define PHASEPROF_PLANCACHE_H

#include "plan.h"

/* The cached plan for p on this runtime: 0, -ENOENT (none) or -ESTALE (a file changed). */
int plancache__load(struct plan *pl, const struct profile *p, const char *runtime_path,
		    const struct syms_opts *so);
/* The cache's directory: $PHASEPROF_CACHE_DIR or /var/cache/phaseprof/plans; entries *.plan */
const char *plancache__dir(void);
/* Keep a freshly built plan; failing to is not an error (no cache then). */
void plancache__save(const struct plan *pl, const struct profile *p, const char *runtime_path,
		     const struct syms_opts *so);

#endif /* PHASEPROF_PLANCACHE_H */
