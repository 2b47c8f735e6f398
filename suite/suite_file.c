// SPDX-License-Identifier: MIT
/*
 * suite_file.c: the suite file parser (format in man/phaseprof-suite.5), in
 * the manner of the probe-file parser: line by line, blank-separated tokens,
 * "quoted words" with \" and \\, # comments, every error at file:line:col.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "suite_file.h"
#include "vec.h"

#define LINE_MAX_BYTES 4096
#define MAX_TOKENS (LINE_MAX_BYTES / 2 + 2)
#define FILE_MAX_BYTES (16u << 20)
#define MAX_CASES 100000
#define MAX_TIMEOUT 86400.0

struct token {
	char *s;
	int col;
	bool quoted; /* a quoted token is never a keyword */
};

struct parser {
	const char *path;
	struct suite *s;
	size_t cap;
	char *err;
	size_t errlen;
	int line;
	char buf[LINE_MAX_BYTES + 1];
	char tbuf[2 * LINE_MAX_BYTES + 2]; /* token text: each token plus its NUL */
	struct token toks[MAX_TOKENS];
	size_t ntoks;
	struct suite_case defaults; /* what comes before the first case */
	struct suite_case *c;	    /* the case being read, or NULL */
	int module_line;	    /* has the current case a module? */
};

__attribute__((format(printf, 3, 4))) static int perr(struct parser *ps, int col, const char *fmt,
						      ...)
{
	va_list ap;
	int n;

	if (!ps->err || !ps->errlen)
		return -EINVAL;
	n = snprintf(ps->err, ps->errlen, "%s:%d:%d: ", ps->path, ps->line, col);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < ps->errlen)
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Column of byte i of the line: characters, 1-based (UTF-8 continuation bytes do not count). */
static int col_of(const struct parser *ps, size_t i)
{
	int col = 1;

	for (size_t k = 0; k < i; k++)
		col += ((unsigned char)ps->buf[k] & 0xc0) != 0x80;
	return col;
}

/* One quoted token from buf[*i] (at the quote) into tbuf[*o]; unescaped. */
static int read_quoted(struct parser *ps, size_t len, size_t *i, size_t *o)
{
	const char *line = ps->buf;
	size_t start = *i;

	for ((*i)++;; (*i)++) {
		if (*i >= len || (line[*i] == '\\' && *i + 1 >= len))
			return perr(ps, col_of(ps, start), "unterminated quote");
		if (line[*i] == '"')
			break;
		if (line[*i] == '\\') {
			if (line[*i + 1] != '"' && line[*i + 1] != '\\')
				return perr(
				    ps, col_of(ps, *i),
				    "unknown escape '\\%c' (only \\\" and \\\\ are escapes)",
				    line[*i + 1]);
			(*i)++;
		}
		ps->tbuf[(*o)++] = line[*i];
	}
	(*i)++;
	if (*i < len && line[*i] != ' ' && line[*i] != '\t' && line[*i] != '#')
		return perr(ps, col_of(ps, *i), "expected a blank after the closing quote");
	return 0;
}

static int read_word(struct parser *ps, size_t len, size_t *i, size_t *o)
{
	const char *line = ps->buf;

	while (*i < len && line[*i] != ' ' && line[*i] != '\t' && line[*i] != '#') {
		if (line[*i] == '"')
			return perr(ps, col_of(ps, *i),
				    "quote in the middle of a word; quote the whole word");
		ps->tbuf[(*o)++] = line[(*i)++];
	}
	return 0;
}

/* Split the line in ps->buf (len bytes) into tokens in ps->tbuf. */
static int tokenize(struct parser *ps, size_t len)
{
	const char *line = ps->buf;
	size_t i = 0, o = 0;
	int err;

	ps->ntoks = 0;
	for (size_t k = 0; k < len; k++)
		if (((unsigned char)line[k] < 0x20 && line[k] != '\t') || line[k] == 0x7f)
			return perr(ps, col_of(ps, k), "control character 0x%02x", line[k]);
	for (;;) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= len || line[i] == '#')
			return 0;
		ps->toks[ps->ntoks].col = col_of(ps, i);
		ps->toks[ps->ntoks].s = ps->tbuf + o;
		ps->toks[ps->ntoks].quoted = line[i] == '"';
		err = line[i] == '"' ? read_quoted(ps, len, &i, &o) : read_word(ps, len, &i, &o);
		if (err)
			return err;
		ps->tbuf[o++] = '\0';
		ps->ntoks++;
	}
}

static bool is_word(const struct token *t, const char *w)
{
	return !t->quoted && !strcmp(t->s, w);
}

static int want_args(struct parser *ps, size_t n, const char *what)
{
	if (ps->ntoks - 1 < n)
		return perr(ps, ps->toks[0].col, "'%s' takes %s", ps->toks[0].s, what);
	if (ps->ntoks - 1 > n)
		return perr(ps, ps->toks[n + 1].col, "unexpected '%s': '%s' takes %s",
			    ps->toks[n + 1].s, ps->toks[0].s, what);
	return 0;
}

/* A path in the file, relative to the file's directory, checked to be a file (or a directory). */
static int file_arg(struct parser *ps, const struct token *t, bool want_dir, char **out)
{
	struct stat st;
	char *p;

	if (!*t->s)
		return perr(ps, t->col, "empty path");
	if (t->s[0] == '/')
		p = strdup(t->s);
	else if (asprintf(&p, "%s/%s", ps->s->basedir, t->s) < 0)
		p = NULL;
	if (!p)
		return -ENOMEM;
	if (stat(p, &st)) {
		int e = errno;

		free(p);
		return perr(ps, t->col, "cannot find '%s': %s", t->s, strerror(e));
	}
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		free(p);
		return perr(ps, t->col, "'%s' is not %s", t->s,
			    want_dir ? "a directory" : "a regular file");
	}
	free(*out);
	*out = p;
	return 0;
}

static int cur_case(struct parser *ps, struct suite_case **c)
{
	*c = ps->c;
	if (!ps->c)
		return perr(ps, ps->toks[0].col, "'%s' before the first 'case'", ps->toks[0].s);
	return 0;
}

static int push_str(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

static int do_module(struct parser *ps)
{
	struct suite_case *c;
	int err = cur_case(ps, &c) ?: want_args(ps, 1, "the module's path");

	if (err)
		return err;
	if (ps->module_line)
		return perr(ps, ps->toks[0].col, "case '%s' has a module already (line %d)",
			    c->name, ps->module_line);
	ps->module_line = ps->line;
	return file_arg(ps, &ps->toks[1], false, &c->module);
}

static int do_args(struct parser *ps)
{
	struct suite_case *c;
	int err = cur_case(ps, &c);

	for (size_t i = 1; !err && i < ps->ntoks; i++)
		err = push_str(&c->args, &c->nargs, ps->toks[i].s);
	return err;
}

static int do_stdin(struct parser *ps)
{
	struct suite_case *c;
	int err = cur_case(ps, &c) ?: want_args(ps, 1, "a file to read stdin from");

	return err ?: file_arg(ps, &ps->toks[1], false, &c->stdin_path);
}

/* env, dir, expect, exit and timeout: in a case, or before the first as defaults */
static struct suite_case *target(struct parser *ps)
{
	return ps->c ? ps->c : &ps->defaults;
}

static int do_env(struct parser *ps)
{
	struct suite_case *c = target(ps);
	const char *s = ps->ntoks > 1 ? ps->toks[1].s : "";
	int err = want_args(ps, 1, "NAME=VALUE");
	size_t i;

	if (err)
		return err;
	for (i = 0; s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (i && s[i] >= '0' && s[i] <= '9');
	     i++)
		;
	if (!i || s[i] != '=')
		return perr(ps, ps->toks[1].col + (int)i,
			    "expected NAME=VALUE, NAME made of letters, digits and '_'");
	return push_str(&c->env, &c->nenv, s);
}

static int do_dir(struct parser *ps)
{
	int err = want_args(ps, 1, "a directory");

	return err ?: file_arg(ps, &ps->toks[1], true, &target(ps)->dir);
}

static int do_expect(struct parser *ps)
{
	struct suite_case *c = target(ps);

	if (ps->ntoks == 2 && is_word(&ps->toks[1], "same")) {
		free(c->expect_path);
		c->expect_path = NULL;
		return 0;
	}
	if (ps->ntoks > 1 && is_word(&ps->toks[1], "stdout")) {
		int err = want_args(ps, 2, "'same' or 'stdout FILE'");

		return err ?: file_arg(ps, &ps->toks[2], false, &c->expect_path);
	}
	return perr(ps, ps->ntoks > 1 ? ps->toks[1].col : ps->toks[0].col,
		    "'expect' takes 'same' or 'stdout FILE'");
}

static int do_exit(struct parser *ps)
{
	char *end;
	long v;
	int err = want_args(ps, 1, "a status from 0 to 255, or 'same'");

	if (err)
		return err;
	if (is_word(&ps->toks[1], "same")) {
		target(ps)->expect_exit = -1;
		return 0;
	}
	v = strtol(ps->toks[1].s, &end, 10);
	if (!*ps->toks[1].s || *end || v < 0 || v > 255)
		return perr(ps, ps->toks[1].col,
			    "'exit' takes a status from 0 to 255 or 'same', not '%s'",
			    ps->toks[1].s);
	target(ps)->expect_exit = (int)v;
	return 0;
}

static int do_timeout(struct parser *ps)
{
	char *end;
	double v;
	int err = want_args(ps, 1, "a number of seconds");

	if (err)
		return err;
	v = strtod(ps->toks[1].s, &end);
	if (!*ps->toks[1].s || *end || !(v > 0) || v > MAX_TIMEOUT)
		return perr(ps, ps->toks[1].col,
			    "'timeout' takes seconds, more than 0 and at most 86400, not '%s'",
			    ps->toks[1].s);
	target(ps)->timeout = v;
	return 0;
}

static void case_free(struct suite_case *c)
{
	for (size_t i = 0; i < c->nargs; i++)
		free(c->args[i]);
	for (size_t i = 0; i < c->nenv; i++)
		free(c->env[i]);
	free(c->args);
	free(c->env);
	free(c->module);
	free(c->stdin_path);
	free(c->dir);
	free(c->expect_path);
}

/* A new case starts from the defaults (deep copies). */
static int case_init(struct suite_case *c, const struct suite_case *d)
{
	int err = 0;

	memset(c, 0, sizeof(*c));
	c->expect_exit = d->expect_exit;
	c->timeout = d->timeout;
	for (size_t i = 0; !err && i < d->nenv; i++)
		err = push_str(&c->env, &c->nenv, d->env[i]);
	if (!err && d->dir && !(c->dir = strdup(d->dir)))
		err = -ENOMEM;
	if (!err && d->expect_path && !(c->expect_path = strdup(d->expect_path)))
		err = -ENOMEM;
	if (!err && !(c->args = calloc(1, sizeof(*c->args))))
		err = -ENOMEM;
	return err;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= SUITE_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static int end_case(struct parser *ps)
{
	int line = ps->line;

	if (!ps->c || ps->c->module)
		return 0;
	ps->line = ps->c->line;
	perr(ps, 1, "case '%s' has no 'module'", ps->c->name);
	ps->line = line;
	return -EINVAL;
}

static int do_case(struct parser *ps)
{
	struct suite *s = ps->s;
	struct suite_case *v;
	const struct token *t = &ps->toks[1];
	int err = end_case(ps) ?: want_args(ps, 1, "a name");

	if (err)
		return err;
	if (!valid_name(t->s))
		return perr(ps, t->col,
			    "case name '%s' must be 1 to %d letters, digits, '.', '_' "
			    "or '-', not starting with '.' or '-'",
			    t->s, SUITE_NAME_MAX - 1);
	if (suite__find(s, t->s))
		return perr(ps, t->col, "a case named '%s' exists already (line %d)", t->s,
			    suite__find(s, t->s)->line);
	if (s->ncases == MAX_CASES)
		return perr(ps, t->col, "more than %d cases", MAX_CASES);
	v = vec_grow(s->cases, s->ncases, &ps->cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	s->cases = v;
	ps->c = &v[s->ncases++];
	err = case_init(ps->c, &ps->defaults);
	snprintf(ps->c->name, sizeof(ps->c->name), "%s", t->s);
	ps->c->line = ps->line;
	ps->module_line = 0;
	return err;
}

static const struct directive {
	const char *name;
	int (*fn)(struct parser *ps);
} directives[] = {
	{ "case", do_case },	   { "module", do_module },
	{ "args", do_args },	   { "stdin", do_stdin },
	{ "env", do_env },	   { "dir", do_dir },
	{ "expect", do_expect },   { "exit", do_exit },
	{ "timeout", do_timeout }, { 0 },
};

static int parse_line(struct parser *ps, const char *raw, size_t len)
{
	int err;

	if (len && raw[len - 1] == '\r')
		len--;
	if (len > LINE_MAX_BYTES)
		return perr(ps, 1, "line is longer than %d bytes", LINE_MAX_BYTES);
	memcpy(ps->buf, raw, len);
	ps->buf[len] = '\0';
	err = tokenize(ps, len);
	if (err || !ps->ntoks)
		return err;
	for (const struct directive *d = directives; d->name; d++)
		if (is_word(&ps->toks[0], d->name))
			return d->fn(ps);
	return perr(ps, ps->toks[0].col,
		    "unknown directive '%s' (expected case, module, args, "
		    "stdin, env, dir, expect, exit or timeout)",
		    ps->toks[0].s);
}

const struct suite_case *suite__find(const struct suite *s, const char *name)
{
	for (size_t i = 0; i < s->ncases; i++)
		if (!strcmp(s->cases[i].name, name))
			return &s->cases[i];
	return NULL;
}

void suite__free(struct suite *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncases; i++)
		case_free(&s->cases[i]);
	free(s->cases);
	free(s->path);
	free(s->basedir);
	free(s);
}

/* A suite with path and the directory relative paths start from. */
static struct suite *suite_new(const char *path, const char *basedir)
{
	struct suite *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->path = strdup(path);
	s->basedir = strdup(basedir);
	if (!s->path || !s->basedir) {
		suite__free(s);
		return NULL;
	}
	return s;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char cwd[PATH_MAX], *out;

	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s%s%.*s", path[0] == '/' ? "" : cwd, path[0] == '/' ? "" : "/",
		     slash ? (int)(slash - path) : 0, path) < 0)
		return NULL;
	return out;
}

static int parse_lines(struct parser *ps, const char *text, size_t len)
{
	size_t at = 0;
	int err = 0;

	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		at = 3;
	while (!err && at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;

		ps->line++;
		if (memchr(text + at, '\0', n))
			return perr(ps, 1, "NUL byte in the line");
		err = parse_line(ps, text + at, n);
		at += n + 1;
	}
	if (!err)
		err = end_case(ps);
	if (!err && !ps->s->ncases)
		err =
		    perr(ps, 1, "no cases: a suite needs at least one 'case NAME' with a 'module'");
	return err;
}

int suite__parse_text(const char *path, const char *text, size_t len, struct suite **out, char *err,
		      size_t errlen)
{
	struct parser *ps = calloc(1, sizeof(*ps));
	char *base = dir_of(path);
	int ret = -ENOMEM;

	*out = NULL;
	if (!ps || !base || !(ps->s = suite_new(path, base)))
		goto done;
	ps->path = path;
	ps->err = err;
	ps->errlen = errlen;
	ps->defaults.timeout = SUITE_DEFAULT_TIMEOUT;
	ps->defaults.expect_exit = -1;
	ret = parse_lines(ps, text, len);
	if (!ret) {
		*out = ps->s;
		ps->s = NULL;
	}
done:
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", path);
	if (ps) {
		suite__free(ps->s);
		case_free(&ps->defaults);
	}
	free(ps);
	free(base);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One case per .wasm file (in name order), named by the file without .wasm. */
static int add_dir_cases(struct suite *s, DIR *d, size_t *cap)
{
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int err = 0;

	while (!err && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len > 5 && !strcmp(e->d_name + len - 5, ".wasm") && e->d_name[0] != '.')
			err = push_str(&names, &n, e->d_name);
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; !err && i < n && n <= MAX_CASES; i++) {
		struct suite_case *v = vec_grow(s->cases, s->ncases, cap, sizeof(*v), 16), *c;
		size_t len = strlen(names[i]) - 5;

		if (!v) {
			err = -ENOMEM;
			break;
		}
		s->cases = v;
		/* vec_grow leaves new room as it found it: a case starts empty */
		memset(&v[s->ncases], 0, sizeof(*v));
		if (!(v[s->ncases].args = calloc(1, sizeof(char *)))) {
			err = -ENOMEM;
			break;
		}
		c = &s->cases[s->ncases++];
		snprintf(c->name, sizeof(c->name), "%.*s", (int)len, names[i]);
		for (char *p = c->name; *p; p++)
			if (!valid_name((char[]){ 'a', *p, 0 }))
				*p = '_';
		c->expect_exit = -1;
		c->timeout = SUITE_DEFAULT_TIMEOUT;
		if (asprintf(&c->module, "%s/%s", s->basedir, names[i]) < 0)
			err = -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

static int load_dir(const char *path, struct suite **out, char *err, size_t errlen)
{
	char *base = dir_of(path), *full = NULL;
	size_t cap = 0;
	DIR *d = opendir(path);
	int ret = -ENOMEM;

	if (!d) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the suite directory '%s': %s", path,
			 strerror(-ret));
		free(base);
		return ret;
	}
	/* the directory itself holds the modules: its absolute path is the base */
	if (base &&
	    asprintf(&full, "%s/%s", base, strrchr(path, '/') ? strrchr(path, '/') + 1 : path) >=
		0 &&
	    (*out = suite_new(path, full))) {
		ret = add_dir_cases(*out, d, &cap);
		if (!ret && !(*out)->ncases) {
			snprintf(err, errlen, "%s: no .wasm files in the directory", path);
			ret = -ENOENT;
		}
	}
	if (ret) {
		suite__free(*out);
		*out = NULL;
	}
	closedir(d);
	free(base);
	free(full);
	return ret;
}

static int load_file(const char *path, struct suite **out, char *err, size_t errlen);

/*
 * The directory's one NAME.suite file, into *file (malloc'd), or NULL when it
 * has none. -EINVAL (err set) when it has several: which one is meant?
 */
static int suite_file_in(const char *dir, char **file, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	*file = NULL;
	while (d && !ret && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len <= 6 || strcmp(e->d_name + len - 6, ".suite") || e->d_name[0] == '.')
			continue;
		if (*file) {
			snprintf(err, errlen, "%s holds several .suite files (%s, %s): give one", dir,
				 strrchr(*file, '/') + 1, e->d_name);
			ret = -EINVAL;
		} else if (asprintf(file, "%s/%s", dir, e->d_name) < 0) {
			*file = NULL;
			ret = -ENOMEM;
		}
	}
	if (d)
		closedir(d);
	if (ret) {
		free(*file);
		*file = NULL;
	}
	return ret;
}

int suite__load(const char *path, struct suite **out, char *err, size_t errlen)
{
	struct stat st;
	char *file;
	int ret;

	*out = NULL;
	if (stat(path, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the suite '%s': %s", path, strerror(errno));
		return ret;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(path, out, err, errlen);
	/* a directory with a suite file is that suite; else its .wasm files are */
	ret = suite_file_in(path, &file, err, errlen);
	if (ret || !file)
		return ret ?: load_dir(path, out, err, errlen);
	ret = load_file(file, out, err, errlen);
	free(file);
	return ret;
}

static int load_file(const char *path, struct suite **out, char *err, size_t errlen)
{
	struct stat st;
	char *text;
	FILE *f;
	size_t n;
	int ret;

	*out = NULL;
	if (stat(path, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the suite '%s': %s", path, strerror(errno));
		return ret;
	}
	if (st.st_size > FILE_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u MiB", path, FILE_MAX_BYTES >> 20);
		return -EFBIG;
	}
	f = fopen(path, "rb");
	text = malloc(FILE_MAX_BYTES + 1);
	if (!f || !text) {
		ret = f ? -ENOMEM : -errno;
		snprintf(err, errlen, "cannot read the suite '%s': %s", path, strerror(-ret));
		free(text);
		if (f)
			fclose(f);
		return ret;
	}
	n = fread(text, 1, FILE_MAX_BYTES + 1, f);
	fclose(f);
	ret = n > FILE_MAX_BYTES ? -EFBIG : suite__parse_text(path, text, n, out, err, errlen);
	if (ret == -EFBIG)
		snprintf(err, errlen, "%s: larger than %u MiB", path, FILE_MAX_BYTES >> 20);
	free(text);
	return ret;
}
