// SPDX-License-Identifier: MIT
/* plan.c: resolve a profile's sites into probes to attach, see plan.h */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include <linux/types.h>
#include "phaseprof.h"
#include "plan.h"
#include "runtime.h"

_Static_assert(PP_PHASE_COUNT <= sizeof(((struct plan *)0)->unresolved) / sizeof(char *),
	       "plan.unresolved[] must hold every phase");

static struct syms *syms_for(struct plan *pl, const char *path, const struct syms_opts *so,
			     char *err, size_t errlen)
{
	struct syms *s, **v;

	for (size_t i = 0; i < pl->nsyms; i++)
		if (!strcmp(syms__path(pl->syms[i]), path))
			return pl->syms[i];
	s = syms__load(path, so, err, errlen);
	if (!s)
		return NULL;
	v = realloc(pl->syms, (pl->nsyms + 1) * sizeof(*v));
	if (!v) {
		syms__free(s);
		return NULL;
	}
	pl->syms = v;
	pl->syms[pl->nsyms++] = s;
	return s;
}

static int add_attach(struct plan *pl, const struct sym *sym, const char *path, uint64_t cookie,
		      bool retprobe)
{
	struct plan_attach *v = realloc(pl->att, (pl->natt + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	pl->att = v;
	pl->att[pl->natt++] = (struct plan_attach){ path, sym->file_offset, cookie, retprobe };
	return 0;
}

/* Is the phase a bracket (it has close sites), or entry-only marks? */
static bool phase_has_close(const struct profile *p, int phase)
{
	for (size_t i = 0; i < p->nsites; i++)
		if (p->sites[i].phase == phase && p->sites[i].kind == SITE_CLOSE)
			return true;
	return false;
}

/* The probes one matched function gets for this site. */
static int attach_function(struct plan *pl, const struct profile *p, size_t idx,
			   const struct sym *sym, const char *path)
{
	const struct probe_site *s = &p->sites[idx];
	int err = 0;

	switch (s->kind) {
	case SITE_DURING:
		err = add_attach(pl, sym, path, pp_cookie(idx, s->phase, PP_ACT_PUSH, false), false);
		if (!err)
			err = add_attach(pl, sym, path, pp_cookie(idx, s->phase, PP_ACT_POP, true),
					 true);
		break;
	case SITE_OPEN:
		err = add_attach(pl, sym, path,
				 pp_cookie(idx, s->phase,
					   phase_has_close(p, s->phase) ? PP_ACT_PUSH : PP_ACT_MARK,
					   false),
				 false);
		break;
	case SITE_CLOSE:
		err = add_attach(pl, sym, path, pp_cookie(idx, s->phase, PP_ACT_POP, s->at_return),
				 s->at_return);
		break;
	}
	return err;
}

static const char *candidate_path(const struct site_candidate *c, const char *runtime_path,
				  char *buf, size_t len)
{
	if (!c->lib)
		return runtime_path;
	return library_locate(c->lib, runtime_path, buf, len) ? NULL : buf;
}

/* Try the site's candidates in order; the first that matches functions wins. */
static int resolve_site(struct plan *pl, const struct profile *p, size_t idx,
			const char *runtime_path, const struct syms_opts *so, char *err,
			size_t errlen)
{
	const struct probe_site *s = &p->sites[idx];
	struct plan_site *ps = &pl->sites[idx];
	char libpath[PATH_MAX], why[512] = "";

	ps->site = s;
	ps->candidate = -1;
	for (size_t c = 0; c < s->ncandidates; c++) {
		const char *path = candidate_path(&s->candidates[c], runtime_path, libpath,
						  sizeof(libpath));
		const struct sym **m = NULL;
		struct syms *sy;
		size_t n = 0;

		if (!path) {
			snprintf(why, sizeof(why), "library %s not found", s->candidates[c].lib);
			ps->may_resolve = true;
			continue;
		}
		sy = syms_for(pl, path, so, err, errlen);
		if (!sy)
			return errno ? -errno : -ENOENT;
		/* a stripped file's debug symbols, installed later, may name the function */
		ps->may_resolve |= !syms__cacheable(sy);
		if (syms__resolve(sy, s->candidates[c].spec, s->build_id, &m, &n, why,
				  sizeof(why)) ||
		    !n) {
			if (!why[0]) {
				const char *near[1];

				snprintf(why, sizeof(why), "symbol not found in %.400s", path);
				if (syms__suggest(sy, s->candidates[c].spec, near, 1))
					snprintf(why + strlen(why), sizeof(why) - strlen(why),
						 " (closest: %s)", near[0]);
			}
			free(m);
			continue;
		}
		ps->candidate = (int)c;
		ps->may_resolve = false;
		ps->module = syms__path(sy);
		ps->nfuncs = n;
		ps->first_func = strdup(m[0]->demangled ? m[0]->demangled : m[0]->name);
		for (size_t i = 0; i < n; i++)
			if (attach_function(pl, p, idx, m[i], syms__path(sy))) {
				free(m);
				return -ENOMEM;
			}
		pr_debug("site %s:%d: %zu function(s), first %s", p->path, s->line, n,
			 ps->first_func);
		free(m);
		return 0;
	}
	ps->why = strdup(why[0] ? why : "no candidate resolved");
	return 0;
}

/*
 * Degrade per phase: a required phase none of whose sites resolves is marked
 * unresolved (its why names the first site, the reason and a hint); the others
 * keep their probes. Only a profile of which nothing resolves fails, so a
 * runtime that lost one phase's symbols still reports the rest.
 */
int plan__check_phases(struct plan *pl, const struct profile *p, const char *runtime_path,
		       char *err, size_t errlen)
{
	bool any = false;
	char why[2048];

	for (size_t i = 0; i < pl->nsites; i++)
		any |= pl->sites[i].candidate >= 0;
	for (int phase = 0; phase < PP_PHASE_COUNT; phase++) {
		const struct plan_site *first = NULL;
		bool named = false, resolved = false;

		for (size_t i = 0; i < pl->nsites; i++) {
			if (p->sites[i].phase != phase)
				continue;
			named = true;
			resolved |= pl->sites[i].candidate >= 0;
			if (!first)
				first = &pl->sites[i];
		}
		if (!named || resolved || p->optional_phase[phase])
			continue;
		snprintf(why, sizeof(why),
			 "cannot attach uprobe to %s:%s: %s (%s:%d); try --debuginfo DIR, or "
			 "`phaseprof resolve -x %s PATTERN` to find the runtime's names",
			 p->name, first->site->text, first->why, p->path, first->site->line,
			 runtime_path);
		if (!any) {
			snprintf(err, errlen, "%s", why);
			return -ENOENT;
		}
		pl->unresolved[phase] = strdup(why);
		if (!pl->unresolved[phase])
			return -ENOMEM;
	}
	return 0;
}

const char *plan__unresolved(const struct plan *pl, int phase)
{
	return phase >= 0 && phase < PP_PHASE_COUNT ? pl->unresolved[phase] : NULL;
}

bool plan__degraded(const struct plan *pl)
{
	for (int phase = 0; phase < PP_PHASE_COUNT; phase++)
		if (pl->unresolved[phase])
			return true;
	return false;
}

int plan__build(const struct profile *p, const char *runtime_path, const struct syms_opts *so,
		struct plan *pl, char *err, size_t errlen)
{
	int ret;

	memset(pl, 0, sizeof(*pl));
	pl->sites = calloc(p->nsites ? p->nsites : 1, sizeof(*pl->sites));
	if (!pl->sites)
		return -ENOMEM;
	pl->nsites = p->nsites;
	for (size_t i = 0; i < p->nsites; i++) {
		errno = 0;
		ret = resolve_site(pl, p, i, runtime_path, so, err, errlen);
		if (ret)
			return ret;
	}
	return plan__check_phases(pl, p, runtime_path, err, errlen);
}

void plan__count_hit(struct plan *pl, uint64_t cookie)
{
	uint32_t idx = pp_cookie_site(cookie);
	const struct probe_site *s;

	if (idx >= pl->nsites)
		return;
	s = pl->sites[idx].site;
	/* a `during` site fires twice per call; count calls, by their entries */
	if (pp_cookie_is_return(cookie) == (s->kind == SITE_CLOSE && s->at_return))
		pl->sites[idx].hits++;
}

void plan__free(struct plan *pl)
{
	for (size_t i = 0; i < pl->nsites; i++) {
		free(pl->sites[i].first_func);
		free(pl->sites[i].why);
	}
	for (int phase = 0; phase < PP_PHASE_COUNT; phase++)
		free(pl->unresolved[phase]);
	for (size_t i = 0; i < pl->nsyms; i++)
		syms__free(pl->syms[i]);
	free(pl->syms);
	for (size_t i = 0; pl->paths && pl->paths[i]; i++)
		free(pl->paths[i]);
	free(pl->paths);
	free(pl->sites);
	free(pl->att);
	memset(pl, 0, sizeof(*pl));
}
