// SPDX-License-Identifier: MIT
/* fallback.c: the generic fallback's user half, see fallback.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fallback.h"
#include "phases.h"

static bool is_module_name(const char *arg)
{
	static const char *const exts[] = { ".wasm", ".wat", ".cwasm", ".aot" };
	size_t len = strlen(arg);

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t n = strlen(exts[i]);

		if (len > n && !strcmp(arg + len - n, exts[i]))
			return true;
	}
	return false;
}

static bool regular_file(const char *arg, uint64_t *ino)
{
	struct stat st;

	if (stat(arg, &st) || !S_ISREG(st.st_mode))
		return false;
	*ino = st.st_ino;
	return true;
}

int fallback__module(char *const *args, size_t nargs, const char *forced, char *path, size_t len,
		     uint64_t *ino)
{
	const char *pick = NULL;

	if (forced)
		pick = regular_file(forced, ino) ? forced : NULL;
	for (size_t i = 0; !forced && !pick && i < nargs; i++)
		if (is_module_name(args[i]) && regular_file(args[i], ino))
			pick = args[i];
	for (size_t i = 0; !forced && !pick && i < nargs; i++)
		if (regular_file(args[i], ino))
			pick = args[i];
	if (!pick || (size_t)snprintf(path, len, "%s", pick) >= len)
		return -ENOENT;
	return 0;
}

/* NULL-terminated copy of words */
static char **words(const char *const *w, size_t n)
{
	char **v = calloc(n + 1, sizeof(*v));

	for (size_t i = 0; v && i < n; i++)
		if (!(v[i] = strdup(w[i]))) {
			profile__free_argv(v);
			return NULL;
		}
	return v;
}

/* Built by hand: a probe file must name phases, and this profile has none to name. */
int fallback__profile(struct profile **out)
{
	static const char *const argv[] = { "{runtime}", "{args}" };
	static const char *const binaries[] = { "generic" };
	struct profile *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->name = strdup("generic");
	p->path = strdup("(built-in generic profile)");
	p->dir = strdup(".");
	p->binaries = words(binaries, 1);
	p->nbinaries = 1;
	p->argv = words(argv, 2);
	p->nargv = 2;
	if (!p->name || !p->path || !p->dir || !p->binaries || !p->argv) {
		profile__free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

static int64_t since(uint64_t ts, uint64_t start)
{
	return ts >= start ? (int64_t)(ts - start) : 0;
}

void fallback__view(const struct pp_event *ev, size_t n, uint64_t start_ts,
		    struct fallback_view *v)
{
	*v = (struct fallback_view){ -1, -1, -1, -1, 0, false };
	for (size_t i = 0; i < n; i++) {
		const struct pp_event *e = &ev[i];

		switch (e->type) {
		case PP_EV_MODULE_OPEN:
			if (v->module_open_ns < 0)
				v->module_open_ns = since(e->ts, start_ts);
			break;
		case PP_EV_MODULE_READ:
			v->reads++;
			v->last_read_ns = since(e->ts, start_ts);
			v->mapped |= e->arg2 == 1;
			break;
		case PP_EV_MODULE_CLOSE:
			if (v->module_close_ns < 0)
				v->module_close_ns = since(e->ts, start_ts);
			break;
		case PP_EV_JIT:
			if (v->jit_ns < 0)
				v->jit_ns = since(e->ts, start_ts);
			break;
		}
	}
}

/*
 * Load is the module-read span: from the open to the last read (or mapping)
 * of the module file. A runtime that keeps the file open (mapped, or read
 * lazily) closes it only at exit: what it does between the last read and the
 * close is not load, and the fallback cannot tell what it is, so from the
 * last read on the run is unknown. Reads through a mapping are page faults,
 * which the fallback does not see: the report says the file was mapped.
 */
static size_t close_load(struct pp_event *ev, size_t n, uint32_t root)
{
	const struct pp_event *open = NULL, *last_read = NULL;

	for (size_t i = 0; i < n; i++) {
		if (ev[i].type == PP_EV_MODULE_OPEN && !open)
			open = &ev[i];
		if (ev[i].type == PP_EV_MODULE_READ && open && ev[i].ts >= open->ts &&
		    (!last_read || ev[i].ts > last_read->ts))
			last_read = &ev[i];
	}
	if (!open || !last_read)
		return n;
	ev[n] = *last_read;
	ev[n].type = PP_EV_MILESTONE;
	ev[n].tid = root;
	ev[n].cookie = pp_cookie(0, PP_PHASE_UNKNOWN, PP_ACT_MARK, false);
	return n + 1;
}

/* Without a module file nothing can be told apart: unknown from the root's exec on. */
static size_t unknown_from_exec(struct pp_event *ev, size_t n, uint32_t root)
{
	for (size_t i = 0; i < n; i++)
		if (ev[i].type == PP_EV_EXEC && ev[i].tgid == root) {
			ev[n] = ev[i];
			ev[n].type = PP_EV_MILESTONE;
			ev[n].cookie = pp_cookie(0, PP_PHASE_UNKNOWN, PP_ACT_MARK, false);
			return n + 1;
		}
	return n;
}

size_t fallback__milestones(struct pp_event *ev, size_t n, uint32_t root, bool have_module)
{
	n = close_load(ev, n, root);
	return have_module ? n : unknown_from_exec(ev, n, root);
}

bool fallback__sees(int phase)
{
	return phase == PP_PHASE_STARTUP || phase == PP_PHASE_LOAD || phase == PP_PHASE_UNKNOWN;
}
