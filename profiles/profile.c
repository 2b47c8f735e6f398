// SPDX-License-Identifier: MIT
/*
 * profile.c: the probe-file parser (format in man/phaseprof-probes.5), argv
 * templates, and the lookup of a binary's profile over the probe directories.
 * Every limit is checked: a hostile or broken file gives a FILE:LINE:COL
 * message, never a crash.
 */
#define _GNU_SOURCE /* asprintf, strchrnul, reallocarray */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/types.h>

#include "phaseprof.h"
#include "profile.h"
#include "fileread.h"
#include "vec.h"
#include "phase_names.h"

#define LINE_MAX_BYTES 4096
#define FILE_MAX_BYTES (64 << 20)
#define BUILD_ID_MAX_HEX 128

#ifndef PHASEPROF_PROBES_DIR
#define PHASEPROF_PROBES_DIR "probes"
#endif
#ifndef PHASEPROF_INSTALL_PROBES_RELDIR
#define PHASEPROF_INSTALL_PROBES_RELDIR "../share/phaseprof/probes"
#endif

_Static_assert(PP_PHASE_COUNT <= sizeof(((struct profile *)0)->optional_phase) / sizeof(bool),
	       "optional_phase[] must hold every phase");

#define PHASE_LIST "startup load compile instantiate execute teardown"
#define ATTR_HINT \
	"attributes: no-return, build-id=HEX, engine=aot|jit; alternatives are separated by '|'"

int phase__from_name(const char *name)
{
	int i;

	/* "unknown" is the fallback's, never a profile's */
	for (i = 0; name && i < PP_PHASE_CANONICAL; i++)
		if (!strcmp(name, pp_phase_name(i)))
			return i;
	return -1;
}

const char *phase__name(int phase)
{
	const char *name = pp_phase_name(phase);

	return name ? name : "unknown";
}

/* strerror() starts with a capital; our messages are lowercase */
static const char *errstr(int errnum, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(errnum));
	if (len && buf[0])
		buf[0] = tolower((unsigned char)buf[0]);
	return buf;
}

struct token {
	char *s;       /* unquoted, unescaped, NUL-terminated (in parser.buf) */
	size_t off;    /* s - parser.buf: index into parser.bufcol */
	size_t raw_start, raw_end; /* the token as written, quotes included */
	int col;
	bool quoted;   /* quoted tokens are never keywords, attributes or '|' */
};

struct parser {
	const char *path;
	struct profile *p;
	char *err;
	size_t errlen;
	int line;
	const char *raw; /* the current line, without its newline */
	size_t rawlen;
	int rawcol[LINE_MAX_BYTES + 1];
	/* token text: unescaping never grows a token, and each adds one NUL */
	char buf[2 * LINE_MAX_BYTES + 2];
	int bufcol[2 * LINE_MAX_BYTES + 2];
	/* tokens are at least one byte and blank separated */
	struct token toks[LINE_MAX_BYTES / 2 + 2];
	size_t ntoks;
	size_t sites_cap;
	int phase; /* current section, -1 before the first */
	int phase_line[PP_PHASE_COUNT], phase_col[PP_PHASE_COUNT];
	size_t section_first_site;
	int profile_line, profile_col;
	bool have_binaries, have_argv, have_version;
	bool *option_used; /* per p->options: does argv name it? */
};

static int verr_at(struct parser *ps, int line, int col, const char *fmt, va_list ap)
{
	int n;

	if (!ps->err || !ps->errlen)
		return -EINVAL;
	n = snprintf(ps->err, ps->errlen, "%s:%d:%d: ", ps->path, line, col);
	if (n >= 0 && (size_t)n < ps->errlen)
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
	return -EINVAL;
}

__attribute__((format(printf, 4, 5)))
static int perr_at(struct parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_at(ps, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

__attribute__((format(printf, 3, 4)))
static int perr(struct parser *ps, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr_at(ps, ps->line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The column of byte i of token t's text. */
static int tcol(const struct parser *ps, const struct token *t, size_t i)
{
	return ps->bufcol[t->off + i];
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Check the line's bytes and give each its column (characters, 1-based). */
static int scan_line(struct parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->raw;
	size_t i = 0, k, len;
	int col = 1;

	if (ps->rawlen > LINE_MAX_BYTES)
		return perr(ps, 1, "line is longer than %d bytes", LINE_MAX_BYTES);
	while (i < ps->rawlen) {
		len = utf8_seq(s + i, ps->rawlen - i);
		if (!len)
			return perr(ps, col, "invalid UTF-8 byte 0x%02x", s[i]);
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return perr(ps, col, "control character 0x%02x", s[i]);
		for (k = 0; k < len; k++)
			ps->rawcol[i + k] = col;
		i += len;
		col++;
	}
	ps->rawcol[i] = col;
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int read_word(struct parser *ps, size_t *i, size_t *o)
{
	const char *s = ps->raw;

	while (*i < ps->rawlen && !is_blank(s[*i]) && s[*i] != '#') {
		if (s[*i] == '"')
			return perr(ps, ps->rawcol[*i],
				    "quote in the middle of a word; quote the whole word");
		ps->bufcol[*o] = ps->rawcol[*i];
		ps->buf[(*o)++] = s[(*i)++];
	}
	return 0;
}

static int bad_escape(struct parser *ps, size_t i)
{
	const unsigned char *c = (const unsigned char *)ps->raw + i + 1;

	return perr(ps, ps->rawcol[i], "unknown escape '\\%.*s' (only \\\" and \\\\ are escapes)",
		    (int)utf8_seq(c, ps->rawlen - i - 1), (const char *)c);
}

static int read_quoted(struct parser *ps, size_t *i, size_t *o)
{
	const char *s = ps->raw;
	int start_col = ps->rawcol[*i];
	size_t n = ps->rawlen;

	for ((*i)++;; (*i)++) {
		if (*i >= n || (s[*i] == '\\' && *i + 1 >= n))
			return perr(ps, start_col, "unterminated quote");
		if (s[*i] == '"')
			break;
		ps->bufcol[*o] = ps->rawcol[*i];
		if (s[*i] == '\\') {
			if (s[*i + 1] != '"' && s[*i + 1] != '\\')
				return bad_escape(ps, *i);
			(*i)++;
		}
		ps->buf[(*o)++] = s[*i];
	}
	(*i)++;
	if (*i < n && !is_blank(s[*i]) && s[*i] != '#')
		return perr(ps, ps->rawcol[*i], "expected a blank after the closing quote");
	return 0;
}

static int tokenize(struct parser *ps)
{
	size_t i = 0, o = 0;
	struct token *t;
	int err;

	ps->ntoks = 0;
	for (;;) {
		while (i < ps->rawlen && is_blank(ps->raw[i]))
			i++;
		if (i >= ps->rawlen || ps->raw[i] == '#')
			return 0;
		t = &ps->toks[ps->ntoks++];
		t->s = ps->buf + o;
		t->off = o;
		t->col = ps->rawcol[i];
		t->raw_start = i;
		t->quoted = ps->raw[i] == '"';
		err = t->quoted ? read_quoted(ps, &i, &o) : read_word(ps, &i, &o);
		if (err)
			return err;
		t->raw_end = i;
		ps->bufcol[o] = ps->rawcol[i];
		ps->buf[o++] = '\0';
	}
}

static bool is_word(const struct token *t, const char *word)
{
	return !t->quoted && !strcmp(t->s, word);
}

static char **dup_tokens(const struct token *t, size_t n)
{
	char **v = calloc(n + 1, sizeof(*v));
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		v[i] = strdup(t[i].s);
		if (!v[i]) {
			profile__free_argv(v);
			return NULL;
		}
	}
	return v;
}

/* Argv templates */

enum placeholder { PH_NONE = -1, PH_RUNTIME, PH_ARGS, PH_PROFILE_DIR, PH_MODULE, PH_MODULE_ARGS,
		   PH_OPTION };

static const char *const placeholders[] = {
	[PH_RUNTIME] = "runtime",
	[PH_ARGS] = "args",
	[PH_PROFILE_DIR] = "profile_dir",
	[PH_MODULE] = "module",
	[PH_MODULE_ARGS] = "module_args",
};

#define PLACEHOLDER_HINT \
	"placeholders: {runtime} {args} {module} {module_args} {profile_dir} {option:NAME}; " \
	"'{{' is a literal '{'"
#define OPTION_PREFIX "option:"

/* Where a template word is: which placeholders it may use. */
enum template_kind { TMPL_ARGV, TMPL_VERSION, TMPL_OPTION };

static enum placeholder placeholder_at(const char *name, size_t len)
{
	size_t i, pl = strlen(OPTION_PREFIX);

	for (i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		if (strlen(placeholders[i]) == len && !strncmp(name, placeholders[i], len))
			return i;
	if (len > pl && !strncmp(name, OPTION_PREFIX, pl))
		return PH_OPTION;
	return PH_NONE;
}

static ssize_t option_index(const struct profile *p, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < p->noptions; i++)
		if (strlen(p->options[i].name) == len && !strncmp(p->options[i].name, name, len))
			return (ssize_t)i;
	return -1;
}

/* {option:NAME} in argv: a whole word, naming an option declared above. */
static int check_option_ref(struct parser *ps, const struct token *t, const char *b,
			    const char *e, enum template_kind kind)
{
	const char *name = b + 1 + strlen(OPTION_PREFIX);
	ssize_t i;

	if (kind != TMPL_ARGV)
		return perr(ps, tcol(ps, t, b - t->s), "'{option:...}' is only allowed in 'argv'");
	if (b != t->s || e[1])
		return perr(ps, tcol(ps, t, b - t->s),
			    "'%.*s' must be a word of its own: it is zero or more words",
			    (int)(e - b + 1), b);
	i = option_index(ps->p, name, e - name);
	if (i < 0)
		return perr(ps, tcol(ps, t, b - t->s),
			    "'%.*s' names no option; declare it above 'argv' with "
			    "'option %.*s on|off WORD...'",
			    (int)(e - b + 1), b, (int)(e - name), name);
	ps->option_used[i] = true;
	return 0;
}

/* The placeholders that stand for the user's arguments (zero or more words). */
static bool is_args(enum placeholder ph)
{
	return ph == PH_ARGS || ph == PH_MODULE || ph == PH_MODULE_ARGS;
}

static int check_template(struct parser *ps, const struct token *t, enum template_kind kind)
{
	const char *s = t->s, *b = s, *e;
	enum placeholder ph;
	int err;

	while ((b = strchr(b, '{'))) {
		if (b[1] == '{') {
			b += 2;
			continue;
		}
		e = strchr(b, '}');
		if (!e)
			return perr(ps, tcol(ps, t, b - s), "unterminated placeholder '%s' (%s)", b,
				    PLACEHOLDER_HINT);
		ph = placeholder_at(b + 1, e - b - 1);
		if (ph == PH_NONE)
			return perr(ps, tcol(ps, t, b - s), "unknown placeholder '%.*s' (%s)",
				    (int)(e - b + 1), b, PLACEHOLDER_HINT);
		if (is_args(ph) && kind == TMPL_OPTION)
			return perr(ps, tcol(ps, t, b - s),
				    "'%.*s' is not allowed in an option; put it in 'argv'",
				    (int)(e - b + 1), b);
		if (is_args(ph) && (b != s || e[1]))
			return perr(ps, tcol(ps, t, b - s),
				    "'%.*s' must be a word of its own: it is zero or more words",
				    (int)(e - b + 1), b);
		if (ph == PH_OPTION) {
			err = check_option_ref(ps, t, b, e, kind);
			if (err)
				return err;
		}
		b = e + 1;
	}
	return 0;
}

/* One template word with {runtime} {profile_dir} {{ replaced; 0 or -errno. */
static int expand_word(const char *tmpl, const char *runtime, const char *dir, char **out)
{
	const char *s = tmpl, *e;
	char *buf = NULL;
	size_t size = 0;
	int ret = 0;
	FILE *f;

	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	while (*s && !ret) {
		if (*s != '{' || s[1] == '{') {
			ret = fputc(*s, f) == EOF ? -ENOMEM : 0;
			s += *s == '{' ? 2 : 1;
			continue;
		}
		e = strchr(s, '}');
		switch (e ? placeholder_at(s + 1, e - s - 1) : PH_NONE) {
		case PH_RUNTIME:
			ret = fputs(runtime, f) == EOF ? -ENOMEM : 0;
			break;
		case PH_PROFILE_DIR:
			ret = fputs(dir, f) == EOF ? -ENOMEM : 0;
			break;
		default: /* not from the parser, which checks every template */
			ret = -EINVAL;
			break;
		}
		s = e ? e + 1 : s;
	}
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (ret)
		free(buf);
	else
		*out = buf;
	return ret;
}

/* The option a template word {option:NAME} names, or NULL for any other word. */
static const struct profile_option *template_option(const struct profile *p, const char *word)
{
	size_t len = strlen(word), pl = strlen(OPTION_PREFIX);
	ssize_t i;

	if (len < pl + 3 || word[0] != '{' || word[len - 1] != '}' ||
	    strncmp(word + 1, OPTION_PREFIX, pl))
		return NULL;
	i = option_index(p, word + 1 + pl, len - pl - 2);
	return i < 0 ? NULL : &p->options[i];
}

const struct profile_option *profile__option(const struct profile *p, const char *name)
{
	ssize_t i = p && name ? option_index(p, name, strlen(name)) : -1;

	return i < 0 ? NULL : &p->options[i];
}

int profile__set_option(struct profile *p, const char *name, bool on)
{
	ssize_t i = p && name ? option_index(p, name, strlen(name)) : -1;

	if (i < 0)
		return -ENOENT;
	p->options[i].on = on;
	p->options[i].when = OPTION_FIXED;
	return 0;
}

/* Which of the user's arguments a template word stands for: [from, to); false for none. */
static bool args_range(const char *word, size_t nargs, size_t *from, size_t *to)
{
	*from = 0;
	*to = nargs;
	if (!strcmp(word, "{module}"))
		*to = nargs ? 1 : 0;
	else if (!strcmp(word, "{module_args}"))
		*from = nargs ? 1 : 0;
	else if (strcmp(word, "{args}"))
		return false;
	return true;
}

void profile__choose_options(struct profile *p, bool wasi)
{
	for (size_t i = 0; p && i < p->noptions; i++)
		if (p->options[i].when != OPTION_FIXED)
			p->options[i].on = (p->options[i].when == OPTION_IF_WASI) == wasi;
}

bool profile__proven_on_binary(const struct profile *p)
{
	return p->proven_version && strcmp(p->proven_version, "source");
}

static int expand(const struct profile *p, char *const *tmpl, size_t ntmpl, const char *runtime,
		  char *const *args, size_t nargs, char ***out, size_t *nout)
{
	const char *dir = p->dir ? p->dir : ".";
	size_t i, j, n = 0, cap = 1, from, to;
	char **v;
	int ret = 0;

	const struct profile_option *opt;

	for (i = 0; i < ntmpl; i++) {
		opt = template_option(p, tmpl[i]);
		cap += opt ? opt->nwords : strcmp(tmpl[i], "{args}") ? 1 : nargs;
		cap += !strcmp(tmpl[i], "{module_args}") ? nargs : 0;
	}
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < ntmpl && !ret; i++) {
		opt = template_option(p, tmpl[i]);
		if (opt) {
			for (j = 0; opt->on && j < opt->nwords && !ret; j++) {
				ret = expand_word(opt->words[j], runtime, dir, &v[n]);
				n += !ret;
			}
			continue;
		}
		if (!args_range(tmpl[i], nargs, &from, &to)) {
			ret = expand_word(tmpl[i], runtime, dir, &v[n]);
			n += !ret;
			continue;
		}
		for (j = from; j < to && !ret; j++) {
			v[n] = strdup(args[j]);
			ret = v[n++] ? 0 : -ENOMEM;
		}
	}
	if (ret) {
		profile__free_argv(v);
		return ret;
	}
	*out = v;
	if (nout)
		*nout = n;
	return 0;
}

int profile__expand_argv(const struct profile *p, const char *runtime_path, char *const *args,
			 size_t nargs, char ***out, size_t *nout)
{
	static char *const dflt[] = { "{runtime}", "{args}" };

	if (!p || !runtime_path || !out || (nargs && !args))
		return -EINVAL;
	if (!p->nargv)
		return expand(p, dflt, 2, runtime_path, args, nargs, out, nout);
	return expand(p, p->argv, p->nargv, runtime_path, args, nargs, out, nout);
}

int profile__expand_version(const struct profile *p, const char *runtime_path, char ***out,
			    size_t *nout)
{
	if (!p || !runtime_path || !out)
		return -EINVAL;
	if (!p->nversion_argv)
		return -ENOENT;
	return expand(p, p->version_argv, p->nversion_argv, runtime_path, NULL, 0, out, nout);
}

void profile__free_argv(char **argv)
{
	char **a;

	if (!argv)
		return;
	for (a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* Directives: header */

static int no_extra(struct parser *ps, size_t from, const char *after)
{
	if (ps->ntoks > from)
		return perr(ps, ps->toks[from].col, "unexpected '%s' after %s",
			    ps->toks[from].s, after);
	return 0;
}

static int do_profile(struct parser *ps)
{
	struct token *t = ps->toks;

	if (ps->p->name)
		return perr(ps, t->col, "duplicate 'profile' (first at line %d)", ps->profile_line);
	if (ps->ntoks < 2)
		return perr(ps, t->col, "'profile' needs a name");
	if (!t[1].s[0])
		return perr(ps, t[1].col, "empty profile name");
	/* the name becomes file and tracefs group names: nothing that could leave a directory */
	if (strspn(t[1].s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(t[1].s) ||
	    strlen(t[1].s) > PROFILE_NAME_MAX)
		return perr(ps, t[1].col,
			    "profile name '%s' may use only a-z, 0-9, '_' and '-' (at most %d)",
			    t[1].s, PROFILE_NAME_MAX);
	if (no_extra(ps, 2, "the profile name"))
		return -EINVAL;
	ps->p->name = strdup(t[1].s);
	if (!ps->p->name)
		return -ENOMEM;
	ps->profile_line = ps->line;
	ps->profile_col = t->col;
	return 0;
}

static int do_binaries(struct parser *ps)
{
	struct token *t = ps->toks;
	size_t i;

	if (ps->have_binaries)
		return perr(ps, t->col, "duplicate 'binaries'; list every name on one line");
	if (ps->ntoks < 2)
		return perr(ps, t->col, "'binaries' needs at least one file name");
	for (i = 1; i < ps->ntoks; i++) {
		if (!t[i].s[0])
			return perr(ps, t[i].col, "empty file name");
		if (strchr(t[i].s, '/'))
			return perr(ps, t[i].col, "'%s' is a path; 'binaries' lists file names",
				    t[i].s);
	}
	ps->p->binaries = dup_tokens(t + 1, ps->ntoks - 1);
	if (!ps->p->binaries)
		return -ENOMEM;
	ps->p->nbinaries = ps->ntoks - 1;
	ps->have_binaries = true;
	return 0;
}

static int parse_template(struct parser *ps, bool *seen, char ***v, size_t *n,
			  enum template_kind kind)
{
	struct token *t = ps->toks;
	size_t i;
	int err;

	if (*seen)
		return perr(ps, t->col, "duplicate '%s'", t->s);
	if (ps->ntoks < 2)
		return perr(ps, t->col, "'%s' needs at least one word", t->s);
	for (i = 1; i < ps->ntoks; i++) {
		err = check_template(ps, &t[i], kind);
		if (err)
			return err;
	}
	*v = dup_tokens(t + 1, ps->ntoks - 1);
	if (!*v)
		return -ENOMEM;
	*n = ps->ntoks - 1;
	*seen = true;
	return 0;
}

static int do_argv(struct parser *ps)
{
	return parse_template(ps, &ps->have_argv, &ps->p->argv, &ps->p->nargv, TMPL_ARGV);
}

static int do_version(struct parser *ps)
{
	return parse_template(ps, &ps->have_version, &ps->p->version_argv,
			      &ps->p->nversion_argv, TMPL_VERSION);
}

static bool is_option_name(const char *s)
{
	return *s && s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_")] == '\0';
}

/* An option's default: on, off, or chosen by the module's imports (off until chosen). */
static int option_when(const struct token *t, enum option_when *when, bool *on)
{
	static const struct {
		const char *word;
		enum option_when when;
		bool on;
	} v[] = { { "on", OPTION_FIXED, true },
		  { "off", OPTION_FIXED, false },
		  { "wasi", OPTION_IF_WASI, false },
		  { "no-wasi", OPTION_IF_NOT_WASI, true } };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (is_word(t, v[i].word)) {
			*when = v[i].when;
			*on = v[i].on;
			return 0;
		}
	return -EINVAL;
}

/* unsupported NAME TEXT: a binary carrying TEXT cannot take option NAME. */
static int do_unsupported(struct parser *ps)
{
	struct token *t = ps->toks;
	ssize_t i;

	if (ps->ntoks != 3 || !t[2].s[0])
		return perr(ps, t->col, "'unsupported' needs an option name and a text: "
				       "unsupported NAME \"TEXT\"");
	i = option_index(ps->p, t[1].s, strlen(t[1].s));
	if (i < 0)
		return perr(ps, t[1].col, "'%s' names no option; declare it above", t[1].s);
	if (ps->p->options[i].unsupported_text)
		return perr(ps, t->col, "duplicate 'unsupported' for option '%s'", t[1].s);
	ps->p->options[i].unsupported_text = strdup(t[2].s);
	return ps->p->options[i].unsupported_text ? 0 : -ENOMEM;
}

/* proven VERSION KIND DATE: the build this profile was proven on (or `source`). */
static int do_proven(struct parser *ps)
{
	struct token *t = ps->toks;
	struct profile *p = ps->p;

	if (p->proven_version)
		return perr(ps, t->col, "duplicate 'proven'");
	if (ps->ntoks != 4 || !t[1].s[0] || !t[2].s[0] || !t[3].s[0])
		return perr(ps, t->col, "'proven' needs a version (or 'source'), a build kind and "
				       "a date: proven VERSION \"KIND\" YYYY-MM-DD");
	p->proven_version = strdup(t[1].s);
	p->proven_kind = strdup(t[2].s);
	p->proven_date = strdup(t[3].s);
	return p->proven_version && p->proven_kind && p->proven_date ? 0 : -ENOMEM;
}

/* option NAME on|off WORD...: must come before the argv line that uses it. */
static int do_option(struct parser *ps)
{
	struct token *t = ps->toks;
	struct profile_option *o;
	enum option_when when;
	bool *used, on;
	ssize_t prev;
	size_t i;
	int err;

	if (ps->have_argv)
		return perr(ps, t->col, "'option' after 'argv'; declare options before 'argv'");
	if (ps->ntoks < 4)
		return perr(ps, t->col, "'option' needs a name, 'on' or 'off', and at least one "
				       "word: option NAME on|off WORD...");
	if (!is_option_name(t[1].s))
		return perr(ps, t[1].col,
			    "bad option name '%s' (lowercase letters, digits, '-' and '_')", t[1].s);
	prev = option_index(ps->p, t[1].s, strlen(t[1].s));
	if (prev >= 0)
		return perr(ps, t[1].col, "duplicate option '%s' (first at line %d)", t[1].s,
			    ps->p->options[prev].line);
	if (option_when(&t[2], &when, &on))
		return perr(ps, t[2].col,
			    "option '%s' needs 'on' or 'off' (its default), or 'wasi' or "
			    "'no-wasi' (on when the module does or does not import WASI), not '%s'",
			    t[1].s, t[2].s);
	for (i = 3; i < ps->ntoks; i++) {
		err = check_template(ps, &t[i], TMPL_OPTION);
		if (err)
			return err;
	}
	o = reallocarray(ps->p->options, ps->p->noptions + 1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	ps->p->options = o;
	used = reallocarray(ps->option_used, ps->p->noptions + 1, sizeof(*used));
	if (!used)
		return -ENOMEM;
	ps->option_used = used;
	used[ps->p->noptions] = false;
	o += ps->p->noptions;
	memset(o, 0, sizeof(*o));
	o->name = strdup(t[1].s);
	o->on = on;
	o->when = when;
	o->words = dup_tokens(t + 3, ps->ntoks - 3);
	o->nwords = ps->ntoks - 3;
	o->line = ps->line;
	ps->p->noptions++; /* counted now, so profile__free() frees a half-made one */
	return o->name && o->words ? 0 : -ENOMEM;
}

/* Directives: phase sections */

/* A finished section must have sites, and a bracket needs its opening. */
static int end_section(struct parser *ps)
{
	const struct profile *p = ps->p;
	size_t i, nopen = 0, nclose = 0;
	int ph = ps->phase;

	if (ph < 0)
		return 0;
	if (ps->section_first_site == p->nsites)
		return perr_at(ps, ps->phase_line[ph], ps->phase_col[ph],
			       "phase '%s' has no sites (add 'during', 'open' or 'close' lines)",
			       pp_phase_name(ph));
	for (i = ps->section_first_site; i < p->nsites; i++) {
		nopen += p->sites[i].kind == SITE_OPEN;
		nclose += p->sites[i].kind == SITE_CLOSE;
	}
	if (nclose && !nopen)
		return perr_at(ps, ps->phase_line[ph], ps->phase_col[ph],
			       "phase '%s' has 'close' sites but no 'open' site", pp_phase_name(ph));
	return 0;
}

static int do_phase(struct parser *ps)
{
	struct token *t = ps->toks;
	bool optional = false;
	int ph, err;

	if (ps->ntoks < 2)
		return perr(ps, t->col, "'phase' needs a name (phases: " PHASE_LIST ")");
	ph = phase__from_name(t[1].s);
	if (ph < 0)
		return perr(ps, t[1].col, "unknown phase '%s' (phases: " PHASE_LIST ")", t[1].s);
	if (ps->phase_line[ph])
		return perr(ps, t[1].col, "duplicate phase '%s' (first at line %d)", t[1].s,
			    ps->phase_line[ph]);
	if (ps->ntoks > 2) {
		if (!is_word(&t[2], "optional"))
			return perr(ps, t[2].col,
				    "unexpected '%s' after the phase name (only 'optional' may follow)",
				    t[2].s);
		optional = true;
	}
	if (no_extra(ps, 3, "'optional'"))
		return -EINVAL;
	err = end_section(ps);
	if (err)
		return err;
	ps->phase = ph;
	ps->phase_line[ph] = ps->line;
	ps->phase_col[ph] = t->col;
	ps->section_first_site = ps->p->nsites;
	ps->p->optional_phase[ph] = optional;
	return 0;
}

/* Directives: sites */

static bool is_attr(const struct token *t)
{
	return !t->quoted && (!strcmp(t->s, "no-return") || !strncmp(t->s, "build-id=", 9) ||
			      !strncmp(t->s, "engine=", 7));
}

/* engine=aot|jit: a site that fires only when that engine runs the module. */
static int parse_engine(struct parser *ps, struct probe_site *site, const struct token *t)
{
	if (site->engine != ENGINE_NONE)
		return perr(ps, t->col, "duplicate 'engine='");
	if (!strcmp(t->s + 7, "aot"))
		site->engine = ENGINE_AOT;
	else if (!strcmp(t->s + 7, "jit"))
		site->engine = ENGINE_JIT;
	else
		return perr(ps, t->col, "'%s': write engine=aot or engine=jit", t->s);
	return 0;
}

static bool is_raw_address(const char *spec)
{
	if (strncmp(spec, "0x", 2) || !spec[2])
		return false;
	return spec[2 + strspn(spec + 2, "0123456789abcdefABCDEF")] == '\0';
}

static void site_free(struct probe_site *s)
{
	size_t i;

	for (i = 0; i < s->ncandidates; i++) {
		free(s->candidates[i].lib);
		free(s->candidates[i].spec);
	}
	free(s->candidates);
	free(s->build_id);
	free(s->text);
}

/* Split lib:NAME:SPEC; *spec points into t->s. */
static int split_lib(struct parser *ps, const struct token *t, char **lib, const char **spec)
{
	const char *name = t->s + 4, *colon;

	*lib = NULL;
	*spec = t->s;
	if (strncmp(t->s, "lib:", 4))
		return 0;
	colon = strchr(name, ':');
	if (!colon || colon == name)
		return perr(ps, tcol(ps, t, 4),
			    "'lib:' needs a library name and a spec: lib:NAME:SPEC");
	if (!colon[1])
		return perr(ps, tcol(ps, t, colon - t->s),
			    "'lib:%.*s:' needs a spec after it", (int)(colon - name), name);
	*lib = strndup(name, colon - name);
	if (!*lib)
		return -ENOMEM;
	*spec = colon + 1;
	return 0;
}

/* One alternative: [lib:LIBNAME:]SPEC[%return]. *raw_col is set at a raw address. */
static int add_candidate(struct parser *ps, struct probe_site *site, const struct token *t,
			 int *raw_col)
{
	static const char ret[] = "%return";
	const size_t rl = sizeof(ret) - 1;
	struct site_candidate *c;
	const char *spec;
	bool at_return = false;
	size_t len;
	char *lib;
	int err;

	err = split_lib(ps, t, &lib, &spec);
	if (err)
		return err;
	len = strlen(spec);
	if (len >= rl && !strcmp(spec + len - rl, ret)) {
		err = -EINVAL;
		if (site->kind != SITE_CLOSE)
			perr(ps, tcol(ps, t, spec + len - rl - t->s),
			     "'%%return' is only allowed on 'close' sites");
		else if (len == rl)
			perr(ps, tcol(ps, t, spec - t->s), "'%%return' needs a function before it");
		else
			err = 0;
		if (err) {
			free(lib);
			return err;
		}
		at_return = true;
		len -= rl;
	}
	if (!len) {
		free(lib);
		return perr(ps, t->col, "empty site");
	}
	if (site->ncandidates && at_return != site->at_return) {
		free(lib);
		return perr(ps, t->col,
			    "alternatives must all end in '%%return' or none; write two 'close' lines");
	}
	c = vec_grow(site->candidates, site->ncandidates, &site->candidates_cap, sizeof(*c), 4);
	if (!c) {
		free(lib);
		return -ENOMEM;
	}
	site->candidates = c;
	c += site->ncandidates++;
	c->lib = lib;
	c->spec = strndup(spec, len);
	if (!c->spec)
		return -ENOMEM;
	site->at_return = at_return;
	if (!*raw_col && is_raw_address(c->spec))
		*raw_col = t->col;
	return 0;
}

static int parse_build_id(struct parser *ps, struct probe_site *site, const struct token *t)
{
	const char *hex = t->s + 9;
	size_t len = strlen(hex), bad = strspn(hex, "0123456789abcdefABCDEF"), i;

	if (site->build_id)
		return perr(ps, t->col, "duplicate 'build-id='");
	if (!len)
		return perr(ps, t->col, "empty build-id; write build-id=HEX");
	if (bad < len)
		return perr(ps, tcol(ps, t, 9 + bad), "build-id must be hexadecimal");
	if (len % 2 || len > BUILD_ID_MAX_HEX)
		return perr(ps, tcol(ps, t, 9),
			    "build-id must be an even number of hex digits, at most %d",
			    BUILD_ID_MAX_HEX);
	site->build_id = strdup(hex);
	if (!site->build_id)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		site->build_id[i] = tolower((unsigned char)site->build_id[i]);
	return 0;
}

static int parse_attrs(struct parser *ps, struct probe_site *site, size_t i, int *no_return_col)
{
	const struct token *t;
	int err;

	for (; i < ps->ntoks; i++) {
		t = &ps->toks[i];
		if (is_word(t, "|"))
			return perr(ps, t->col, "'|' after an attribute: attributes go last");
		if (!is_attr(t))
			return perr(ps, t->col, "unknown attribute '%s' (" ATTR_HINT ")", t->s);
		if (t->s[0] == 'b' || t->s[0] == 'e') {
			err = t->s[0] == 'b' ? parse_build_id(ps, site, t)
					     : parse_engine(ps, site, t);
			if (err)
				return err;
			continue;
		}
		if (site->no_return)
			return perr(ps, t->col, "duplicate 'no-return'");
		site->no_return = true;
		*no_return_col = t->col;
	}
	return 0;
}

/* candidate ('|' candidate)*; returns the index of the first token after them. */
static int parse_candidates(struct parser *ps, struct probe_site *site, size_t *next,
			    int *raw_col)
{
	const struct token *t = ps->toks;
	size_t i = 1;
	int err;

	for (;;) {
		if (i == 1 && is_word(&t[i], "|"))
			return perr(ps, t[i].col, "empty alternative before '|'");
		if (i == 1 && is_attr(&t[i]))
			return perr(ps, t[i].col, "'%s' needs a site before '%s'", t->s, t[i].s);
		if (i > 1 && (is_word(&t[i], "|") || is_attr(&t[i])))
			return perr(ps, t[i - 1].col, "empty alternative after '|'");
		err = add_candidate(ps, site, &t[i], raw_col);
		if (err)
			return err;
		if (++i == ps->ntoks || !is_word(&t[i], "|"))
			break;
		if (++i == ps->ntoks)
			return perr(ps, t[i - 1].col, "empty alternative after '|'");
	}
	*next = i;
	return 0;
}

static int check_site(struct parser *ps, const struct probe_site *site, int no_return_col,
		      int raw_col)
{
	size_t i;

	if (site->no_return && site->kind == SITE_DURING)
		return perr(ps, no_return_col,
			    "'no-return' cannot go with 'during': a during site closes at its return");
	if (site->no_return && site->at_return)
		return perr(ps, no_return_col, "'no-return' contradicts '%%return'");
	if (raw_col && !site->build_id) {
		for (i = 0; !is_raw_address(site->candidates[i].spec); i++)
			;
		return perr(ps, raw_col,
			    "raw address %s needs build-id=... so it cannot hit another build",
			    site->candidates[i].spec);
	}
	return 0;
}

static int append_site(struct parser *ps, struct probe_site *site)
{
	struct profile *p = ps->p;
	const struct token *first = ps->toks, *last = &ps->toks[ps->ntoks - 1];
	struct probe_site *v;
	size_t cap;

	site->text = strndup(ps->raw + first->raw_start, last->raw_end - first->raw_start);
	if (!site->text)
		return -ENOMEM;
	if (p->nsites == ps->sites_cap) {
		cap = ps->sites_cap ? 2 * ps->sites_cap : 16;
		v = reallocarray(p->sites, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->sites = v;
		ps->sites_cap = cap;
	}
	p->sites[p->nsites++] = *site;
	return 0;
}

static int do_site(struct parser *ps)
{
	const struct token *t = ps->toks;
	struct probe_site site = { 0 };
	int no_return_col = 0, raw_col = 0, err;
	size_t next = 0;

	if (ps->phase < 0)
		return perr(ps, t->col, "'%s' outside a phase section; start one with 'phase NAME'",
			    t->s);
	if (ps->ntoks < 2)
		return perr(ps, t->col, "'%s' needs a site", t->s);
	site.phase = ps->phase;
	site.kind = t->s[0] == 'd' ? SITE_DURING : t->s[0] == 'o' ? SITE_OPEN : SITE_CLOSE;
	site.line = ps->line;
	site.col = t->col;
	err = parse_candidates(ps, &site, &next, &raw_col);
	if (!err)
		err = parse_attrs(ps, &site, next, &no_return_col);
	if (!err)
		err = check_site(ps, &site, no_return_col, raw_col);
	if (!err)
		err = append_site(ps, &site);
	if (err)
		site_free(&site);
	return err;
}

/* Lines */

static const struct directive {
	const char *name;
	int (*fn)(struct parser *ps);
	bool header; /* before the first phase section */
} directives[] = {
	{ "profile", do_profile, true },   { "binaries", do_binaries, true },
	{ "argv", do_argv, true },         { "version", do_version, true },
	{ "option", do_option, true },     { "unsupported", do_unsupported, true },
	{ "proven", do_proven, true },
	{ "phase", do_phase, false },      { "during", do_site, false },
	{ "open", do_site, false },        { "close", do_site, false },
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, d[16];

	if (la > 15 || lb > 15)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j] > d[j - 1] + 1)
				d[j] = d[j - 1] + 1;
			if (d[j] > cur + 1)
				d[j] = cur + 1;
			prev = cur;
		}
	}
	return d[lb];
}

static int unknown_directive(struct parser *ps, const struct token *t)
{
	size_t i, d, best = SIZE_MAX, bi = 0;

	for (i = 0; i < NDIRECTIVES; i++) {
		d = edit_distance(t->s, directives[i].name);
		if (d < best) {
			best = d;
			bi = i;
		}
	}
	if (best <= 2 && best < strlen(t->s))
		return perr(ps, t->col, "unknown directive '%s' (did you mean '%s'?)", t->s,
			    directives[bi].name);
	return perr(ps, t->col,
		    "unknown directive '%s' (directives: profile binaries option unsupported "
		    "argv version proven phase during open close)",
		    t->s);
}

static int parse_line(struct parser *ps)
{
	const struct token *t = ps->toks;
	const struct directive *d = NULL;
	size_t i;
	int err;

	err = scan_line(ps);
	if (!err)
		err = tokenize(ps);
	if (err || !ps->ntoks)
		return err;
	for (i = 0; i < NDIRECTIVES && !d; i++)
		if (is_word(t, directives[i].name))
			d = &directives[i];
	if (!d)
		return unknown_directive(ps, t);
	if (!ps->p->name && d->fn != do_profile)
		return perr(ps, t->col,
			    "'%s' before 'profile': a probe file starts with 'profile NAME'", t->s);
	if (d->header && ps->phase >= 0 && d->fn != do_profile)
		return perr(ps, t->col,
			    "'%s' after a phase section; put it before the first 'phase'", t->s);
	return d->fn(ps);
}

static int finish(struct parser *ps)
{
	struct profile *p = ps->p;
	int err;

	if (!p->name)
		return perr_at(ps, 1, 1, "no 'profile NAME' line; a probe file starts with one");
	err = end_section(ps);
	if (err)
		return err;
	if (!ps->have_binaries)
		return perr_at(ps, ps->profile_line, ps->profile_col,
			       "profile '%s' has no 'binaries' line", p->name);
	if (ps->phase < 0)
		return perr_at(ps, ps->profile_line, ps->profile_col,
			       "profile '%s' has no phase sections", p->name);
	for (size_t i = 0; i < p->noptions; i++)
		if (!ps->option_used[i])
			return perr_at(ps, p->options[i].line, 1,
				       "option '%s' is never used; put {option:%s} in 'argv'",
				       p->options[i].name, p->options[i].name);
	if (!ps->have_argv) {
		static const struct token dflt[] = { { .s = "{runtime}" }, { .s = "{args}" } };

		p->argv = dup_tokens(dflt, 2);
		if (!p->argv)
			return -ENOMEM;
		p->nargv = 2;
	}
	return 0;
}

static int set_paths(struct profile *p, const char *path)
{
	const char *slash = strrchr(path, '/');

	p->path = strdup(path);
	if (!slash)
		p->dir = strdup(".");
	else
		p->dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	return p->path && p->dir ? 0 : -ENOMEM;
}

static int parse_lines(struct parser *ps, const char *text, size_t len)
{
	const char *end = text + len, *nl;
	int err;

	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		text += 3; /* a UTF-8 byte order mark */
	for (ps->line = 1; text < end; ps->line++) {
		nl = memchr(text, '\n', end - text);
		ps->raw = text;
		ps->rawlen = (nl ? nl : end) - text;
		if (ps->rawlen && text[ps->rawlen - 1] == '\r')
			ps->rawlen--;
		err = parse_line(ps);
		if (err)
			return err;
		if (!nl)
			break;
		text = nl + 1;
	}
	return finish(ps);
}

int profile__parse_text(const char *path, const char *text, size_t len, struct profile **out,
			char *err, size_t errlen)
{
	struct parser *ps;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!path || (!text && len) || !out)
		return -EINVAL;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->path = path;
	ps->err = err;
	ps->errlen = errlen;
	ps->phase = -1;
	ps->p = calloc(1, sizeof(*ps->p));
	ret = ps->p ? set_paths(ps->p, path) : -ENOMEM;
	if (!ret)
		ret = parse_lines(ps, text ? text : "", len);
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", path);
	if (ret)
		profile__free(ps->p);
	else
		*out = ps->p;
	free(ps->option_used);
	free(ps);
	return ret;
}

static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;
	char eb[128];

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", path, errstr(-ret, eb, sizeof(eb)));
		return ret;
	}
	ret = read_whole_fd(fd, FILE_MAX_BYTES, text, len);
	close(fd);
	if (ret == -EFBIG)
		snprintf(err, errlen, "cannot read '%s': larger than %d MiB", path,
			 FILE_MAX_BYTES >> 20);
	else if (ret)
		snprintf(err, errlen, "cannot read '%s': %s", path, errstr(-ret, eb, sizeof(eb)));
	return ret;
}

int profile__parse(const char *path, struct profile **out, char *err, size_t errlen)
{
	char *text = NULL, *real, dummy[1];
	size_t len = 0;
	int ret;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!path || !out)
		return -EINVAL;
	ret = read_file(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = profile__parse_text(path, text, len, out, err, errlen);
	free(text);
	if (ret)
		return ret;
	/* {profile_dir} must survive the runtime changing its working directory */
	real = realpath((*out)->dir, NULL);
	if (real) {
		free((*out)->dir);
		(*out)->dir = real;
	}
	return 0;
}

void profile__free(struct profile *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsites; i++)
		site_free(&p->sites[i]);
	free(p->sites);
	profile__free_argv(p->binaries);
	profile__free_argv(p->argv);
	profile__free_argv(p->version_argv);
	for (i = 0; i < p->noptions; i++) {
		free(p->options[i].name);
		free(p->options[i].unsupported_text);
		profile__free_argv(p->options[i].words);
	}
	free(p->options);
	free(p->proven_version);
	free(p->proven_kind);
	free(p->proven_date);
	free(p->name);
	free(p->path);
	free(p->dir);
	free(p);
}

/* Lookup */

/* The length of name when file is name, or name followed by '-' or '.'; else 0. */
static size_t family_match(const char *file, const char *name)
{
	size_t n = strlen(name);

	if (!n || strncmp(file, name, n))
		return 0;
	return file[n] == '\0' || file[n] == '-' || file[n] == '.' ? n : 0;
}

static size_t profile_match(const struct profile *p, const char *file)
{
	size_t i, n, best = 0;

	for (i = 0; i < p->nbinaries; i++) {
		n = family_match(file, p->binaries[i]);
		if (n > best)
			best = n;
	}
	return best;
}

static int is_probe_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 6 && !strcmp(d->d_name + n - 6, ".probe");
}

static int alpha(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Keep in *best the profile of dir that beats *best_len; 0 or -errno. */
static int find_in_dir(const char *dir, const char *file, struct profile **best,
		       size_t *best_len, char *err, size_t errlen)
{
	struct dirent **ents = NULL;
	struct profile *p;
	char *path, eb[128];
	int i, n, ret = 0;
	size_t len;

	n = scandir(dir, &ents, is_probe_file, alpha);
	if (n < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0; /* a search-path entry that does not exist here */
		ret = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", dir, errstr(-ret, eb, sizeof(eb)));
		return ret;
	}
	for (i = 0; i < n && !ret; i++) {
		if (asprintf(&path, "%s/%s", dir, ents[i]->d_name) < 0) {
			ret = -ENOMEM;
			break;
		}
		ret = profile__parse(path, &p, err, errlen);
		free(path);
		if (ret)
			break;
		len = profile_match(p, file);
		if (len > *best_len) {
			profile__free(*best);
			*best = p;
			*best_len = len;
		} else {
			profile__free(p);
		}
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return ret;
}

int profile__find(const char *const *dirs, size_t ndirs, const char *binary_name,
		  struct profile **out, char *err, size_t errlen)
{
	struct profile *best = NULL;
	const char *file, *slash;
	size_t i, best_len = 0;
	char dummy[1];
	int ret;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if ((ndirs && !dirs) || !binary_name || !out)
		return -EINVAL;
	slash = strrchr(binary_name, '/');
	file = slash ? slash + 1 : binary_name;
	for (i = 0; i < ndirs; i++) {
		ret = find_in_dir(dirs[i], file, &best, &best_len, err, errlen);
		if (ret) {
			profile__free(best);
			return ret;
		}
	}
	if (!best) {
		snprintf(err, errlen, "no probe file lists '%s' in its binaries", file);
		return -ENOENT;
	}
	*out = best;
	return 0;
}

static int push_dir(char ***v, size_t *n, const char *dir, size_t len)
{
	char **nv;

	if (!len)
		return 0;
	nv = reallocarray(*v, *n + 2, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strndup(dir, len);
	if (!nv[*n])
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

/*
 * Where an installed phaseprof keeps its profiles: PREFIX/share/phaseprof/probes
 * beside PREFIX/bin/phaseprof, found from the running binary so that a
 * relocated prefix (cmake --install --prefix P, a package) works. Empty when
 * this binary is not installed (the build tree's binary).
 */
static void installed_dir(char *dir, size_t len)
{
	char exe[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	dir[0] = '\0';
	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	if (strlen(exe) + sizeof(PHASEPROF_INSTALL_PROBES_RELDIR) + 1 > sizeof(exe) - 1)
		return;
	strcat(exe, "/" PHASEPROF_INSTALL_PROBES_RELDIR);
	/* PREFIX/share/..., not PREFIX/bin/../share/..., in what is shown and saved */
	if (stat(exe, &st) || !S_ISDIR(st.st_mode) || !realpath(exe, dir) || strlen(dir) >= len)
		dir[0] = '\0';
}

int profile__default_dirs(char ***out, size_t *nout)
{
	const char *env = getenv("PHASEPROF_PROBE_PATH"), *s, *e;
	char **v = calloc(1, sizeof(*v)), installed[PATH_MAX];
	size_t n = 0;
	int ret = v ? 0 : -ENOMEM;

	for (s = env; s && !ret; s = *e ? e + 1 : NULL) {
		e = strchrnul(s, ':');
		ret = push_dir(&v, &n, s, e - s);
	}
	/* an installed binary uses its installed profiles, never a source tree's */
	installed_dir(installed, sizeof(installed));
	if (!ret && installed[0])
		ret = push_dir(&v, &n, installed, strlen(installed));
	else if (!ret)
		ret = push_dir(&v, &n, PHASEPROF_PROBES_DIR, strlen(PHASEPROF_PROBES_DIR));
	if (ret) {
		profile__free_argv(v);
		return ret;
	}
	*out = v;
	if (nout)
		*nout = n;
	return 0;
}
