// SPDX-License-Identifier: MIT
/*
 * suite_aot.c: compile-then-run variants of `phaseprof suite run`. A runtime
 * given as NAME:aot (iwasm:aot, wasmedge-llvm:aot) is two runtimes in the
 * store: NAME:aot-compile, the matching AOT compiler (wamrc for iwasm,
 * wasmedgec for wasmedge) recorded once per case, and NAME:aot, the runtime
 * on the compiler's output (with --run-mode=aot for WasmEdge, which else
 * interprets or refuses AOT code). The output is kept in DIR/aot-cache, named
 * by the module's hash and the compiler's build-id(s); a later batch reuses
 * it and says so, storing the run that made it as its compile run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PR_DOMAIN "suite"
#include "cmdutil.h"
#include "exitcodes.h"
#include "jsonread.h"
#include "log.h"
#include "privs.h"
#include "runtime.h"
#include "suite_run.h"
#include "suite_store.h"

struct aot_family {
	const char *runtime;  /* the runtime's name starts with this */
	const char *compiler; /* its compiler's name */
	const char *ext;      /* of the compiled module */
};

static const struct aot_family families[] = {
	[AOT_WAMRC] = { "iwasm", "wamrc", ".aot" },
	/* .so: a native library, which WasmEdge loads only in --run-mode=aot */
	[AOT_WASMEDGEC] = { "wasmedge", "wasmedgec", ".so" },
};

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int family_of(const char *runtime)
{
	for (unsigned f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		if (!strncmp(base_of(runtime), families[f].runtime, strlen(families[f].runtime)))
			return (int)f;
	return -1;
}

int suite_aot_split(struct rt *v, size_t *n, size_t max, struct rt *r)
{
	size_t len = strlen(r->spec);
	struct rt *c;
	int f;

	r->spec[len - 4] = '\0'; /* ":aot" */
	f = family_of(r->spec);
	if (f < 0)
		return -ENOENT;
	if (*n + 2 > max)
		return -E2BIG;
	c = &v[*n + 1];
	r->kind = RT_AOT;
	r->compiler = c->compiler = (enum aot_compiler)f;
	r->pair = *n + 1;
	c->kind = RT_AOT_COMPILE;
	c->pair = *n;
	snprintf(c->label, sizeof(c->label), "%.40s%s", r->label, "-compile");
	snprintf(c->spec, sizeof(c->spec), "%s", families[f].compiler);
	*n += 2;
	return 0;
}

static int try_path(char *path, size_t len, const char *dir, int dirlen, const char *name,
		    const char *suffix)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%.*s%s%s", dirlen, dir, name, suffix) >= (int)sizeof(buf) ||
	    access(buf, X_OK))
		return -ENOENT;
	return snprintf(path, len, "%s", buf) < (int)len ? 0 : -ENAMETOOLONG;
}

int suite_aot_compiler_beside(const char *rt_path, char *path, size_t len, const char **name)
{
	int f = family_of(rt_path);
	const char *base = base_of(rt_path);
	int dirlen = (int)(base - rt_path);

	if (f < 0)
		return -EINVAL;
	*name = families[f].compiler;
	if (!try_path(path, len, rt_path, dirlen, *name, base + strlen(families[f].runtime)))
		return 0;
	return try_path(path, len, rt_path, dirlen, *name, "");
}

/* An --aot-compiler of r's family, else the compiler beside r. 0 with path set, or -ENOENT. */
static int find_compiler(const struct runner *R, const struct rt *r, char *path, size_t len)
{
	const struct aot_family *f = &families[r->compiler];
	const char *name;

	for (size_t i = 0; i < R->o->naot_compilers; i++)
		if (!strncmp(base_of(R->o->aot_compilers[i]), f->compiler, strlen(f->compiler)))
			return cmd_locate_runtime(R->o->aot_compilers[i], path, len) ? -ENOENT : 0;
	return suite_aot_compiler_beside(r->path, path, len, &name) ? -ENOENT : 0;
}

int suite_aot_locate(struct runner *R)
{
	for (size_t i = 0; i < R->nrts; i++) {
		struct rt *r = &R->rts[i], *c;

		if (r->kind != RT_AOT)
			continue;
		c = &R->rts[r->pair];
		if (find_compiler(R, r, c->path, sizeof(c->path))) {
			pr_err("no AOT compiler for %s: %s is not beside %s and no --aot-compiler "
			       "names one; give its path with --aot-compiler PATH",
			       r->label, families[r->compiler].compiler, r->path);
			return PP_EXIT_NOT_FOUND;
		}
		pr_debug("%s: compiled by %s", r->label, c->path);
	}
	return 0;
}

/* "BUILDID" of the compiler, and of the libwasmedge.so it loads ($ORIGIN/../lib). */
static void compiler_id(const struct rt *c, char *out, size_t len)
{
	char real[PATH_MAX], lib[PATH_MAX + 32], id[64] = "none", libid[64] = "";

	elf_build_id(c->path, id, sizeof(id));
	if (c->compiler == AOT_WASMEDGEC && realpath(c->path, real)) {
		char *slash = strrchr(real, '/');

		*slash = '\0';
		snprintf(lib, sizeof(lib), "%s/../lib/libwasmedge.so", real);
		if (elf_build_id(lib, libid + 1, sizeof(libid) - 1) == 0)
			libid[0] = '-';
	}
	snprintf(out, len, "%.40s%.41s", id, libid);
}

/* DIR/aot-cache, made if missing: the invoking user's directory, never a link. 0 or -errno. */
static int cache_dir(const struct runner *R, char *out, size_t len)
{
	struct stat st;

	if (snprintf(out, len, "%s/aot-cache", R->dir) >= (int)len)
		return -ENAMETOOLONG;
	if (mkdir(out, 0755) && errno != EEXIST)
		return -errno;
	if (lstat(out, &st))
		return -errno;
	/* under sudo, files are made as the invoking user (privs.h): the cache is theirs */
	return S_ISDIR(st.st_mode) && st.st_uid == privs_user_uid() ? 0 : -EPERM;
}

static int key_of(const struct runner *R, const struct suite_case *c, const struct rt *r,
		  char *base, size_t len)
{
	char dir[PATH_MAX], id[128];
	uint64_t h, bytes;
	int fd = open(c->module, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	h = suite_hash_fd(fd, &bytes);
	close(fd);
	err = cache_dir(R, dir, sizeof(dir));
	if (err)
		return err;
	compiler_id(r, id, sizeof(id));
	if (snprintf(base, len, "%s/%016" PRIx64 "-%s", dir, h, id) >= (int)len - 16)
		return -ENAMETOOLONG;
	return 0;
}

/* Store the run that made the cached output again, as this batch's compile run. */
static int reuse(struct runner *R, const struct suite_case *c, const struct rt *r,
		 const char *runfile)
{
	char rundir[PATH_MAX], json[PATH_MAX + 16], out[PATH_MAX + 16], note[PATH_MAX + 64];
	struct store_run sr = { .case_name = c->name,
				.runtime = r->label,
				.dir = rundir,
				.stderr_first = note,
				.outcome = RUN_OK };
	FILE *f = fopen(runfile, "re");
	int fd, err;

	if (!f || !fgets(rundir, sizeof(rundir), f)) {
		if (f)
			fclose(f);
		return -ENOENT;
	}
	fclose(f);
	rundir[strcspn(rundir, "\n")] = '\0';
	snprintf(json, sizeof(json), "%s/phases.json", rundir);
	snprintf(out, sizeof(out), "%s/stdout", rundir);
	sr.doc = jr_parse_file(json, note, sizeof(note));
	if (!sr.doc)
		return -ENOENT;
	fd = open(out, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		sr.stdout_hash = suite_hash_fd(fd, &sr.stdout_bytes);
		close(fd);
	}
	snprintf(note, sizeof(note), "AOT cache: %s reused", r->out);
	err = store__add_run(&R->st, R->batch, &sr);
	jr_free((struct jr_node *)sr.doc);
	pr_note("case %s, %s: the compiled module comes from the AOT cache (%s); its compile "
		"time is that of %s (--no-aot-cache compiles again)",
		c->name, r->label, r->out, rundir);
	R->done++;
	return err;
}

/* Compile into KEY-tmp.EXT, a run of its own; on success KEY.EXT and KEY.run (its folder). */
static int compile(struct runner *R, const struct suite_case *c, struct rt *r, const char *key)
{
	const char *ext = families[r->compiler].ext;
	char dst[PATH_MAX], runfile[PATH_MAX];
	bool warned = false;
	int status = 0, err;
	FILE *f;

	snprintf(r->out, sizeof(r->out), "%s-tmp%s", key, ext);
	unlink(r->out);
	err = suite_one_run(R, c, r, R->o->warmup, &warned, &status);
	if (err)
		return err;
	snprintf(dst, sizeof(dst), "%s%s", key, ext);
	snprintf(runfile, sizeof(runfile), "%s.run", key);
	if (status || access(r->out, R_OK) || rename(r->out, dst)) {
		pr_warn("case %s: %s did not compile it (status %d): %s's runs are skipped; see "
			"%s/runs/b%" PRId64 "/%s/%s/run-0/stderr",
			c->name, r->path, status, R->rts[r->pair].label, R->dir, R->batch, c->name,
			r->label);
		unlink(r->out);
		r->out[0] = '\0';
		return 0;
	}
	snprintf(r->out, sizeof(r->out), "%s", dst);
	f = fopen(runfile, "we");
	if (f) {
		fprintf(f, "%s/runs/b%" PRId64 "/%s/%s/run-0\n", R->dir, R->batch, c->name,
			r->label);
		fclose(f);
	}
	return 0;
}

int suite_aot_compile(struct runner *R, const struct suite_case *c, struct rt *r)
{
	char key[PATH_MAX - 32], runfile[PATH_MAX];
	int err = key_of(R, c, r, key, sizeof(key));

	r->out[0] = '\0';
	if (err) {
		pr_warn("case %s: cannot use the AOT cache in %s/aot-cache: %s; %s's runs are "
			"skipped",
			c->name, R->dir, strerror(-err), R->rts[r->pair].label);
		return 0;
	}
	snprintf(r->out, sizeof(r->out), "%s%s", key, families[r->compiler].ext);
	snprintf(runfile, sizeof(runfile), "%s.run", key);
	if (!R->o->no_aot_cache && !access(r->out, R_OK) && reuse(R, c, r, runfile) != -ENOENT)
		return 0;
	return compile(R, c, r, key);
}

size_t suite_aot_argv(const struct runner *R, const struct suite_case *c, const struct rt *r,
		      char **argv)
{
	const struct rt *cr = r->kind == RT_AOT ? &R->rts[r->pair] : r;
	size_t n = 0;

	if (r->kind == RT_AOT_COMPILE) {
		if (r->compiler == AOT_WAMRC)
			argv[n++] = "-o";
		else
			argv[n++] = c->module;
		argv[n++] = (char *)r->out;
		if (r->compiler == AOT_WAMRC)
			argv[n++] = c->module;
		return n;
	}
	/* this WasmEdge interprets a universal wasm and refuses a .so unless told */
	if (r->compiler == AOT_WASMEDGEC)
		argv[n++] = "--run-mode=aot";
	argv[n++] = (char *)cr->out;
	for (size_t i = 0; i < c->nargs; i++)
		argv[n++] = c->args[i];
	return n;
}
