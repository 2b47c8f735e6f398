/* SPDX-License-Identifier: MIT */
/*
 * plan.h: a profile resolved against real binaries: for every probe site the
 * candidate that resolved, the functions it matched, and the list of uprobes
 * and uretprobes to attach (file, offset, cookie). Built before the runtime
 * starts, so every probe is armed before its first instruction.
 */
#ifndef PHASEPROF_PLAN_H
#define PHASEPROF_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "profile.h"
#include "syms.h"

struct plan_attach {
	const char *path; /* owned by the plan's module list */
	uint64_t offset;  /* file offset of the function */
	uint64_t cookie;
	bool retprobe;
};

struct plan_site {
	const struct probe_site *site;
	int candidate;      /* index of the candidate that resolved, -1 when none did */
	const char *module; /* the file it resolved in */
	size_t nfuncs;      /* functions matched */
	char *first_func;   /* demangled name of the first one */
	char *why;          /* why it did not resolve, with a hint */
	bool may_resolve;   /* unresolved, but a library or debug file installed later may change that */
	uint64_t hits;      /* entries (returns, for %return sites) during the run */
};

struct plan {
	struct plan_site *sites;
	size_t nsites;
	struct plan_attach *att;
	size_t natt;
	/* loaded symbol tables, one per file */
	struct syms **syms;
	size_t nsyms;
	/* a plan from the cache has no symbol tables: its file names, NULL-terminated */
	char **paths;
	/* per phase (enum pp_phase): why a required phase has no resolved site, or NULL */
	char *unresolved[8];
};

/*
 * Resolve every site of p. A required phase none of whose sites resolves is
 * left unresolved (plan__unresolved() says why) while the other phases keep
 * their probes. Fails with -ENOENT (err names the phase, the sites and the
 * file, with a hint) only when no site of the profile resolves at all, or with
 * the symbol engine's error when a file has no symbols.
 */
int plan__build(const struct profile *p, const char *runtime_path, const struct syms_opts *so,
		struct plan *out, char *err, size_t errlen);
/* Mark the required phases none of whose sites resolved (as plan__build() does). */
int plan__check_phases(struct plan *pl, const struct profile *p, const char *runtime_path,
		       char *err, size_t errlen);
void plan__free(struct plan *pl);
/* Why a required phase could not be probed (with a hint), or NULL when it can be. */
const char *plan__unresolved(const struct plan *pl, int phase);
/* Does some required phase have no resolved site? */
bool plan__degraded(const struct plan *pl);
/* Count a probe hit (from its cookie) against its site. */
void plan__count_hit(struct plan *pl, uint64_t cookie);

#endif /* PHASEPROF_PLAN_H */
