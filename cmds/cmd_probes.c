// SPDX-License-Identifier: MIT
/*
 * cmd_probes.c: `phaseprof probes install|list|remove`: a runtime's profile
 * made into named tracefs uprobe events (group probe_<profile>) that perf
 * record and other tracers can use, kept right across upgrades and, with
 * --boot, across reboots (phaseprof-probes.service re-creates them).
 *
 * What is ours is written down: CONFIG/installed/<profile>.conf lists every
 * event an install made, with its definition and the build-id of its file.
 * remove deletes an event only when that record names it and tracefs still
 * defines it as recorded; nothing else is ever touched. CONFIG/boot.d/ holds
 * what the boot unit re-creates.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cmdutil.h"
#include "commands.h"
#include "exitcodes.h"
#include "log.h"
#include "options.h"
#include "phases.h"
#include "plan.h"
#include "probes_unit.h"
#include "profile.h"
#include "runtime.h"
#include "privs.h"
#include "tracefs.h"
#include "uprobe_events.h"

#define DEFAULT_CONFIG_DIR "/etc/phaseprof"
#define DEFAULT_UNIT_DIR "/etc/systemd/system"
#define UNIT_NAME "phaseprof-probes.service"
#define MAX_DEBUGINFO_DIRS 16
#define MAX_NAMES 64

extern char **environ;

enum { OPT_PROBES = 256, OPT_DEBUGINFO, OPT_BOOT, OPT_FROM_BOOT, OPT_CONFIG_DIR, OPT_ALL };

static const struct opt_doc probes_options[] = {
	{ "runtime", 'x', "RUNTIME", "the runtime: a name on PATH or a path to its binary" },
	{ "probes", OPT_PROBES, "FILE", "use this profile instead of choosing one by binary name" },
	{ "debuginfo", OPT_DEBUGINFO, "DIR", "look for debug files in DIR first (repeatable)" },
	{ "boot", OPT_BOOT, NULL,
	  "install: also re-create at every boot; remove: forget the boot installation too" },
	{ "from-boot-config", OPT_FROM_BOOT, NULL,
	  "install every saved boot installation (what " UNIT_NAME " runs)" },
	{ "all", OPT_ALL, NULL, "list or remove every installation" },
	{ "config-dir", OPT_CONFIG_DIR, "DIR",
	  "keep installations in DIR (default $PHASEPROF_CONFIG_DIR or " DEFAULT_CONFIG_DIR ")" },
	{ "verbose", 'v', NULL, "say more" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char probes_usage[] =
	"usage: phaseprof probes install -x RUNTIME [--probes FILE] [--boot]\n"
	"       phaseprof probes install --from-boot-config\n"
	"       phaseprof probes list [-x RUNTIME | PROFILE... | --all]\n"
	"       phaseprof probes remove (-x RUNTIME | PROFILE... | --all) [--boot]\n"
	"\n"
	"Make a runtime's profile into named uprobe events in tracefs, group\n"
	"probe_<profile> (probe_node:load_enter, probe_node:load_exit, ...), for\n"
	"perf record and other tracers. Events are placed by symbol, so 'install'\n"
	"again after an upgrade re-resolves them; --boot re-creates them at boot.\n";

static const char probes_examples[] =
	"examples:\n"
	"  phaseprof probes install -x node\n"
	"  perf record -e 'probe_node:*' -- node app.js\n"
	"  phaseprof probes list\n"
	"  phaseprof probes install -x node --boot     # and at every boot\n"
	"  phaseprof probes remove -x node --boot\n"
	"\n"
	"exit status: 0 success, 64 usage, 65 probe file error, 66 probe symbol not\n"
	"found, 67 no profile for the runtime, 77 missing privileges, 125 other\n"
	"failure (tracefs, uprobe_events), 126 not an ELF executable, 127 runtime\n"
	"not found (see phaseprof-probes(1)).\n";

struct probes_opts {
	const char *verb;
	const char *runtime;
	const char *probes;
	const char *debuginfo[MAX_DEBUGINFO_DIRS];
	size_t ndebuginfo;
	bool boot, from_boot, all;
	char config[1024]; /* short enough that every file name under it fits PATH_MAX */
	bool default_config;
	const char *names[MAX_NAMES];
	size_t nnames;
};

/* One installation, as CONFIG/installed/<profile>.conf records it. */
struct install_rec {
	char profile[UPROBE_NAME_LEN];
	char group[UPROBE_NAME_LEN];
	char runtime[PATH_MAX];
	/* the files the events point into, with their build-ids then ("-" for none) */
	struct { char path[PATH_MAX]; char build_id[128]; } *files;
	size_t nfiles;
	struct uprobe_def *ev;
	char **site; /* the probe-file site each event comes from */
	size_t nev;
};

static void rec_free(struct install_rec *r)
{
	for (size_t i = 0; i < r->nev; i++)
		free(r->site[i]);
	free(r->site);
	free(r->ev);
	free(r->files);
	memset(r, 0, sizeof(*r));
}

/* ---- files under the configuration directory ---- */

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

/* Write text to path through a temporary and rename(): never half a file. */
static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 16], dir[PATH_MAX];
	FILE *f;
	int err = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	err = mkdir_p(dir);
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	f = fopen(tmp, "wxe");
	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void rec_path(const struct probes_opts *o, const char *sub, const char *profile, char *path,
		     size_t len)
{
	snprintf(path, len, "%s/%s/%s.conf", o->config, sub, profile);
}

static int rec_add_file(struct install_rec *r, const char *path, const char *build_id)
{
	void *v = realloc(r->files, (r->nfiles + 1) * sizeof(*r->files));

	if (!v)
		return -ENOMEM;
	r->files = v;
	snprintf(r->files[r->nfiles].path, PATH_MAX, "%s", path);
	snprintf(r->files[r->nfiles].build_id, 128, "%s", build_id);
	r->nfiles++;
	return 0;
}

static int rec_add_event(struct install_rec *r, const struct uprobe_def *d, const char *site)
{
	struct uprobe_def *v = realloc(r->ev, (r->nev + 1) * sizeof(*v));
	char **s;

	if (!v)
		return -ENOMEM;
	r->ev = v;
	s = realloc(r->site, (r->nev + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	r->site = s;
	r->ev[r->nev] = *d;
	r->site[r->nev] = strdup(site ? site : "");
	return r->site[r->nev++] ? 0 : -ENOMEM;
}

/* One line of a record: "event NAME p|r 0xOFF PATH\tSITE" and the like. */
static int rec_parse_line(struct install_rec *r, char *line)
{
	char kind, path[PATH_MAX], name[UPROBE_NAME_LEN], id[128];
	struct uprobe_def d = { 0 };
	char *site;

	if (sscanf(line, "profile %63s", r->profile) == 1 ||
	    sscanf(line, "group %63s", r->group) == 1)
		return 0;
	if (!strncmp(line, "runtime ", 8)) {
		snprintf(r->runtime, sizeof(r->runtime), "%s", line + 8);
		return 0;
	}
	if (sscanf(line, "file %127s %4095[^\n]", id, path) == 2)
		return rec_add_file(r, path, id);
	if (sscanf(line, "event %63s %c %" SCNx64 " %4095[^\t\n]", name, &kind, &d.offset, path) != 4)
		return 0;
	snprintf(d.group, sizeof(d.group), "%s", r->group);
	snprintf(d.event, sizeof(d.event), "%s", name);
	snprintf(d.path, sizeof(d.path), "%s", path);
	d.retprobe = kind == 'r';
	site = strchr(line, '\t');
	return rec_add_event(r, &d, site ? site + 1 : "");
}

/* 0, -ENOENT when there is no record, another -errno. */
static int rec_load(const char *path, struct install_rec *r)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (!f)
		return -errno;
	while (!err && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '#')
			err = rec_parse_line(r, line);
	}
	free(line);
	fclose(f);
	if (!err && !r->group[0])
		err = -EINVAL;
	if (err)
		rec_free(r);
	return err;
}

static int rec_save(const char *path, const struct install_rec *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int err;

	if (!m)
		return -errno;
	fprintf(m, "# phaseprof probes install: the uprobe events it made, and nothing else;\n"
		   "# 'phaseprof probes remove' deletes exactly these. Do not edit.\n"
		   "profile %s\ngroup %s\nruntime %s\n", r->profile, r->group, r->runtime);
	for (size_t i = 0; i < r->nfiles; i++)
		fprintf(m, "file %s %s\n", r->files[i].build_id, r->files[i].path);
	for (size_t i = 0; i < r->nev; i++)
		fprintf(m, "event %s %c 0x%" PRIx64 " %s\t%s\n", r->ev[i].event,
			r->ev[i].retprobe ? 'r' : 'p', r->ev[i].offset, r->ev[i].path, r->site[i]);
	if (fclose(m))
		return -errno;
	err = write_file(path, text);
	free(text);
	return err;
}

static const char *rec_build_id(const struct install_rec *r, const char *path)
{
	for (size_t i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].path, path))
			return r->files[i].build_id;
	return "-";
}

/* ---- resolving a profile into events ---- */

static const char *phase_or_unknown(int phase)
{
	return phase >= 0 && phase < PP_PHASE_COUNT ? phase__name(phase) : "phase";
}

/* load_enter, load_exit, then load_enter_1 ... for the phase's further probes */
static void event_name(const struct plan_attach *a, unsigned count[][2], char *out, size_t len)
{
	int phase = pp_cookie_phase(a->cookie);
	bool exit = pp_cookie_action(a->cookie) == PP_ACT_POP;
	unsigned k = count[phase % PP_PHASE_COUNT][exit]++;

	if (k)
		snprintf(out, len, "%s_%s_%u", phase_or_unknown(phase), exit ? "exit" : "enter", k);
	else
		snprintf(out, len, "%s_%s", phase_or_unknown(phase), exit ? "exit" : "enter");
}

static void file_build_id(const char *path, char *out, size_t len)
{
	if (elf_build_id(path, out, len))
		snprintf(out, len, "-");
}

/* The record an install of this plan makes. */
static int plan_to_rec(const struct profile *p, const char *runtime, const struct plan *pl,
		       struct install_rec *r)
{
	unsigned count[PP_PHASE_COUNT][2] = { 0 };
	int err = 0;

	memset(r, 0, sizeof(*r));
	snprintf(r->profile, sizeof(r->profile), "%s", p->name);
	snprintf(r->group, sizeof(r->group), "probe_%s", p->name);
	uprobe_name__sanitize(r->group);
	snprintf(r->runtime, sizeof(r->runtime), "%s", runtime);
	for (size_t i = 0; i < pl->natt && !err; i++) {
		const struct plan_attach *a = &pl->att[i];
		struct uprobe_def d = { .retprobe = a->retprobe, .offset = a->offset };
		char id[128];

		snprintf(d.group, sizeof(d.group), "%s", r->group);
		snprintf(d.path, sizeof(d.path), "%s", a->path);
		event_name(a, count, d.event, sizeof(d.event));
		if (!strcmp(rec_build_id(r, a->path), "-")) {
			file_build_id(a->path, id, sizeof(id));
			err = rec_add_file(r, a->path, id);
		}
		err = err ?: rec_add_event(r, &d, pl->sites[pp_cookie_site(a->cookie)].site->text);
	}
	return err;
}

/* ---- install ---- */

static int get_tracefs(char *dir, size_t len)
{
	char why[512] = "";
	int err = tracefs_ensure(dir, len, why, sizeof(why));

	if (err)
		pr_err("%s", why[0] ? why : strerror(-err));
	return err ? PP_EXIT_FAILURE : 0;
}

/*
 * Events of the new record's names that tracefs has and the old record does not
 * list as defined: someone else's, even when defined like ours (a remove would
 * delete them), so install stops before writing its record.
 */
static int check_foreign(const struct install_rec *nr, const struct install_rec *old,
			 const struct uprobe_def *cur, size_t ncur)
{
	for (size_t i = 0; i < nr->nev; i++) {
		const struct uprobe_def *c = uprobe_events__find(cur, ncur, nr->group,
								 nr->ev[i].event);
		const struct uprobe_def *o = old ? uprobe_events__find(old->ev, old->nev,
								       nr->group, nr->ev[i].event) :
						   NULL;

		if (!c || (o && uprobe_def__same(c, o)))
			continue;
		pr_err("cannot install %s:%s: an event of that name exists and phaseprof did not "
		       "make it (%c %s:0x%" PRIx64 "); remove it, or install under another profile "
		       "name",
		       nr->group, nr->ev[i].event, c->retprobe ? 'r' : 'p', c->path, c->offset);
		return PP_EXIT_FAILURE;
	}
	return 0;
}

/*
 * An event a perf record had open stays busy a moment after perf exits (its
 * perf events are freed after an RCU grace period): retry for a while
 * (three seconds: on a loaded machine perf takes its time to exit) before saying
 * it is in use.
 */
#define REMOVE_TRIES 60
#define REMOVE_WAIT_MS 50

static int remove_event(const char *tracefs, const struct uprobe_def *d)
{
	int err = uprobe_events__remove(tracefs, d->group, d->event);

	for (int i = 1; err == -EBUSY && i < REMOVE_TRIES; i++) {
		struct timespec ts = { 0, REMOVE_WAIT_MS * 1000000L };

		nanosleep(&ts, NULL);
		err = uprobe_events__remove(tracefs, d->group, d->event);
	}
	if (err == -ENOENT)
		return 0;
	if (err == -EBUSY)
		pr_err("cannot remove %s:%s: it is in use (a perf record or another tracer has it "
		       "open); stop that and retry",
		       d->group, d->event);
	else if (err)
		pr_err("cannot remove %s:%s: %s", d->group, d->event, strerror(-err));
	return err;
}

/* Old events that the new record does not define the same way: remove (ours only). */
static int retire_old(const char *tracefs, const struct install_rec *old,
		      const struct install_rec *nr, const struct uprobe_def *cur, size_t ncur)
{
	for (size_t i = 0; old && i < old->nev; i++) {
		const struct uprobe_def *c = uprobe_events__find(cur, ncur, old->group,
								 old->ev[i].event);
		const struct uprobe_def *n = uprobe_events__find(nr->ev, nr->nev, old->group,
								 old->ev[i].event);

		if (!c || !uprobe_def__same(c, &old->ev[i]) || (n && uprobe_def__same(c, n)))
			continue;
		if (remove_event(tracefs, c))
			return PP_EXIT_FAILURE;
	}
	return 0;
}

static int uprobe_events_error(const char *tracefs, const struct uprobe_def *d, int err,
			       const char *why)
{
	pr_err("cannot create uprobe event %s:%s (%c %s:0x%" PRIx64 ") in %s/uprobe_events: %s%s",
	       d->group, d->event, d->retprobe ? 'r' : 'p', d->path, d->offset, tracefs, why,
	       err == -EACCES || err == -EPERM || err == -EROFS ?
		       "; uprobe events need root, a writable tracefs, no kernel lockdown, and "
		       "CONFIG_UPROBE_EVENTS=y" :
		       "");
	return PP_EXIT_FAILURE;
}

static int list_events(const char *tracefs, struct uprobe_def **cur, size_t *ncur)
{
	int err = uprobe_events__list(tracefs, cur, ncur);

	if (err)
		pr_err("cannot read %s/uprobe_events: %s; the kernel needs CONFIG_UPROBE_EVENTS=y",
		       tracefs, strerror(-err));
	return err ? PP_EXIT_FAILURE : 0;
}

/* Make tracefs hold exactly the new record's events for its group (cur: what it holds). */
static int apply(const char *tracefs, const struct install_rec *nr, const struct install_rec *old,
		 const struct uprobe_def *cur, size_t ncur, size_t *added)
{
	char why[512];
	int err, ret = retire_old(tracefs, old, nr, cur, ncur);

	*added = 0;
	for (size_t i = 0; i < nr->nev && !ret; i++) {
		const struct uprobe_def *c = uprobe_events__find(cur, ncur, nr->group,
								 nr->ev[i].event);

		if (c && uprobe_def__same(c, &nr->ev[i]))
			continue; /* already there: install is idempotent */
		err = uprobe_events__add(tracefs, &nr->ev[i], why, sizeof(why));
		if (err)
			ret = uprobe_events_error(tracefs, &nr->ev[i], err, why);
		else
			(*added)++;
	}
	return ret;
}

static int save_boot_config(const struct probes_opts *o, const char *runtime,
			    const struct profile *p)
{
	char path[PATH_MAX], prof[PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int err;

	if (!m)
		return -errno;
	if (!realpath(p->path, prof))
		snprintf(prof, sizeof(prof), "%s", p->path);
	fprintf(m, "# phaseprof probes install --boot: what %s re-creates at boot\n"
		   "runtime %s\nprobes %s\n", UNIT_NAME, runtime, prof);
	for (size_t i = 0; i < o->ndebuginfo; i++)
		fprintf(m, "debuginfo %s\n", o->debuginfo[i]);
	fclose(m);
	rec_path(o, "boot.d", p->name, path, sizeof(path));
	err = write_file(path, text);
	free(text);
	if (err)
		pr_err("cannot save the boot installation '%s': %s", path, strerror(-err));
	return err;
}

/* ---- the systemd unit ---- */

static const char *unit_dir(void)
{
	const char *d = getenv("PHASEPROF_UNIT_DIR");

	return d && *d ? d : DEFAULT_UNIT_DIR;
}

/*
 * One word of a unit setting, escaped as systemd.syntax(7) and
 * systemd.service(5) say: % specifiers doubled (%%), $ variables doubled ($$)
 * in ExecStart, and inside double quotes \\, \" and C escapes (\xNN) for any
 * other byte that could end the line or the word. Paths reach here only after
 * the safe-charset check; this is the second line of defence.
 */
static void put_unit_word(FILE *m, const char *s)
{
	bool quote = !uprobe_path__safe(s);

	if (quote)
		fputc('"', m);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '%' || c == '$')
			fputc(c, m);
		if (c == '"' || c == '\\')
			fputc('\\', m);
		if (c < 0x20 || c == 0x7f)
			fprintf(m, "\\x%02x", c);
		else
			fputc(c, m);
	}
	if (quote)
		fputc('"', m);
}



/* The unit from dist/phaseprof-probes.service.in, with our binary and options filled in. */
static char *unit_text(const struct probes_opts *o)
{
	char self[PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	if (!m)
		return NULL;
	if (!realpath("/proc/self/exe", self))
		snprintf(self, sizeof(self), "/usr/local/bin/phaseprof");
	for (const char *s = PP_UNIT_TEMPLATE; *s;) {
		if (!strncmp(s, "@PHASEPROF@", 11)) {
			put_unit_word(m, self);
			s += 11;
		} else if (!strncmp(s, "@CONFIG_DIR@", 12)) {
			fputs(o->config, m); /* a Condition takes no quotes: the path was checked safe */
			s += 12;
		} else if (!strncmp(s, "@OPTIONS@", 9)) {
			if (!o->default_config) {
				fputs(" --config-dir ", m);
				put_unit_word(m, o->config);
			}
			s += 9;
		} else {
			fputc(*s++, m);
		}
	}
	fclose(m);
	return text;
}

/* Run a command, its output passing through; its exit status or -errno. */
static int run_command(char *const argv[])
{
	pid_t pid;
	int status, err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

	if (err)
		return -err;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool systemd_running(void)
{
	return access("/run/systemd/system", F_OK) == 0;
}

static int systemctl(const char *verb)
{
	char *argv[] = { "systemctl", (char *)verb, "--quiet", UNIT_NAME, NULL };

	if (!strcmp(verb, "daemon-reload")) {
		argv[2] = NULL;
		if (!systemd_running())
			return 0;
	}
	return run_command(argv);
}

static int install_unit(const struct probes_opts *o)
{
	char path[PATH_MAX], *text = unit_text(o);
	bool custom = strcmp(unit_dir(), DEFAULT_UNIT_DIR) != 0;
	int err;

	if (!text)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", unit_dir(), UNIT_NAME);
	err = write_file(path, text);
	free(text);
	if (err) {
		pr_err("cannot write the boot unit '%s': %s", path, strerror(-err));
		return err;
	}
	if (custom) {
		pr_note("wrote %s; not enabled ($PHASEPROF_UNIT_DIR is not %s)", path,
			DEFAULT_UNIT_DIR);
		return 0;
	}
	systemctl("daemon-reload");
	err = systemctl("enable");
	if (err)
		pr_warn("cannot enable %s (systemctl enable: %s); wrote %s: enable it with "
			"'systemctl enable %s'%s",
			UNIT_NAME, err < 0 ? strerror(-err) : "failed", path, UNIT_NAME,
			systemd_running() ? "" : " (systemd is not running here)");
	return 0;
}

static bool boot_dir_empty(const struct probes_opts *o)
{
	char dir[PATH_MAX];
	struct dirent *de;
	bool empty = true;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/boot.d", o->config);
	d = opendir(dir);
	if (!d)
		return true;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".conf") && !strstr(de->d_name, ".tmp"))
			empty = false;
	closedir(d);
	return empty;
}

static void uninstall_unit(const struct probes_opts *o)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", unit_dir(), UNIT_NAME);
	if (access(path, F_OK))
		return;
	if (!strcmp(unit_dir(), DEFAULT_UNIT_DIR) && systemctl("disable"))
		pr_warn("cannot disable %s; disable it with 'systemctl disable %s'", UNIT_NAME,
			UNIT_NAME);
	if (unlink(path))
		pr_warn("cannot remove '%s': %s", path, strerror(errno));
	else
		systemctl("daemon-reload");
}

/*
 * --boot: root runs phaseprof with this profile at every boot, so neither
 * may be changeable by anyone but root, nor any directory above them.
 */
static int check_boot_sources(const struct profile *p)
{
	char self[PATH_MAX], prof[PATH_MAX], why[PATH_MAX + 128];
	const char *paths[] = { self, prof };

	if (!realpath("/proc/self/exe", self) || !realpath(p->path, prof)) {
		pr_err("cannot --boot: cannot resolve phaseprof's or the profile's path: %s",
		       strerror(errno));
		return PP_EXIT_FAILURE;
	}
	for (size_t i = 0; i < 2; i++) {
		if (!uprobe_path__safe(paths[i])) {
			pr_err("refusing --boot: a unit cannot safely name '%s' (letters, digits and "
			       "/ . _ - + @ , ~ = only)",
			       paths[i]);
			return PP_EXIT_FAILURE;
		}
		if (privs_check_roots(paths[i], false, why, sizeof(why))) {
			pr_err("refusing --boot: %s, so a user could change what root runs at every "
			       "boot; install phaseprof and its profiles where only root can write "
			       "(cmake --install build --prefix /usr/local) and run that copy",
			       why);
			return PP_EXIT_FAILURE;
		}
	}
	return 0;
}

/* ---- the verbs ---- */

struct install_req {
	const char *runtime;
	const char *probes;
	const char *const *debuginfo;
	size_t ndebuginfo;
};

static int install_one(const struct probes_opts *o, const struct install_req *q, bool boot)
{
	struct syms_opts so = { q->debuginfo, q->ndebuginfo };
	char path[PATH_MAX], tracefs[PATH_MAX], recfile[PATH_MAX], err[2048] = "";
	struct install_rec nr = { 0 }, old = { 0 };
	struct uprobe_def *cur = NULL;
	struct profile *p = NULL;
	struct plan pl = { 0 };
	size_t added = 0, ncur = 0;
	struct fs_ident fs;
	int ret, e;
	bool have_old;

	privs_user_fs(&fs); /* the runtime and the profile are read as the user could */
	ret = cmd_locate_runtime(q->runtime, path, sizeof(path));
	ret = ret ?: cmd_load_profile(q->probes, path, true, &p);
	e = ret ? 0 : plan__build(p, path, &so, &pl, err, sizeof(err));
	privs_restore_fs(&fs);
	ret = ret ?: boot ? check_boot_sources(p) : 0;
	ret = ret ?: get_tracefs(tracefs, sizeof(tracefs));
	if (ret)
		goto out;
	if (e) {
		pr_err("%s", err[0] ? err : strerror(-e));
		ret = e == -ENOMEM ? PP_EXIT_FAILURE : PP_EXIT_NO_SYMBOL;
		goto out;
	}
	if (plan_to_rec(p, path, &pl, &nr)) {
		ret = PP_EXIT_FAILURE;
		goto out;
	}
	rec_path(o, "installed", p->name, recfile, sizeof(recfile));
	have_old = rec_load(recfile, &old) == 0;
	ret = list_events(tracefs, &cur, &ncur);
	ret = ret ?: check_foreign(&nr, have_old ? &old : NULL, cur, ncur);
	if (ret)
		goto out;
	/* written before adding: should adding stop half way, remove still knows every name */
	e = rec_save(recfile, &nr);
	if (e) {
		pr_err("cannot save the installation record '%s': %s", recfile, strerror(-e));
		ret = PP_EXIT_FAILURE;
		goto out;
	}
	ret = apply(tracefs, &nr, have_old ? &old : NULL, cur, ncur, &added);
	if (!ret && boot && (save_boot_config(o, path, p) || install_unit(o)))
		ret = PP_EXIT_FAILURE;
	if (!ret)
		printf("%s: %zu uprobe events in %s (%zu new) for %s%s; use them with "
		       "perf record -e '%s:*'\n",
		       p->name, nr.nev, nr.group, added, path, boot ? ", re-created at boot" : "",
		       nr.group);
out:
	free(cur);
	rec_free(&nr);
	rec_free(&old);
	plan__free(&pl);
	profile__free(p);
	return ret;
}

static int install_from_boot_file(const struct probes_opts *o, const char *file)
{
	struct install_req q = { 0 };
	const char *dbg[MAX_DEBUGINFO_DIRS];
	char runtime[PATH_MAX] = "", probes[PATH_MAX] = "", dirs[MAX_DEBUGINFO_DIRS][PATH_MAX];
	char line[PATH_MAX];
	FILE *f = fopen(file, "re");
	int ret;

	if (!f) {
		pr_err("cannot read '%s': %s", file, strerror(errno));
		return PP_EXIT_FAILURE;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "runtime ", 8))
			snprintf(runtime, sizeof(runtime), "%s", line + 8);
		else if (!strncmp(line, "probes ", 7))
			snprintf(probes, sizeof(probes), "%s", line + 7);
		else if (!strncmp(line, "debuginfo ", 10) && q.ndebuginfo < MAX_DEBUGINFO_DIRS) {
			snprintf(dirs[q.ndebuginfo], PATH_MAX, "%s", line + 10);
			dbg[q.ndebuginfo] = dirs[q.ndebuginfo];
			q.ndebuginfo++;
		}
	}
	fclose(f);
	if (!runtime[0]) {
		pr_err("cannot use '%s': no runtime line; remove the file", file);
		return PP_EXIT_FAILURE;
	}
	q.runtime = runtime;
	/* a profile that moved away: choose one by the binary's name, as at install */
	q.probes = probes[0] && access(probes, R_OK) == 0 ? probes : NULL;
	q.debuginfo = dbg;
	ret = install_one(o, &q, false);
	if (ret)
		pr_err("cannot re-create the probes saved in '%s' (runtime %s); fix it and run "
		       "'phaseprof probes install -x %s --boot' again, or forget it with "
		       "'phaseprof probes remove --boot -x %s'",
		       file, runtime, runtime, runtime);
	return ret;
}

/* What the boot unit runs: every saved installation, each on its own. */
static int install_from_boot(const struct probes_opts *o)
{
	char dir[PATH_MAX], file[PATH_MAX * 2];
	struct dirent **de = NULL;
	int n, ret = 0, done = 0;

	snprintf(dir, sizeof(dir), "%s/boot.d", o->config);
	n = scandir(dir, &de, NULL, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		pr_err("cannot read '%s': %s", dir, strerror(errno));
		return PP_EXIT_FAILURE;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(de[i]->d_name);

		if (len > 5 && !strcmp(de[i]->d_name + len - 5, ".conf")) {
			int r;

			snprintf(file, sizeof(file), "%s/%s", dir, de[i]->d_name);
			r = install_from_boot_file(o, file);
			ret = ret ?: r;
			done++;
		}
		free(de[i]);
	}
	free(de);
	if (!done)
		pr_note("no saved installations in %s", dir);
	return ret;
}

/* The profile names the command means: -x RUNTIME, PROFILE..., or --all. */
static int target_names(const struct probes_opts *o, char names[][UPROBE_NAME_LEN], size_t *n)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent **de = NULL;
	int cnt;

	*n = 0;
	for (size_t i = 0; i < o->nnames && *n < MAX_NAMES; i++)
		snprintf(names[(*n)++], UPROBE_NAME_LEN, "%s", o->names[i]);
	if (o->runtime) {
		struct profile *p = NULL;
		int ret;

		struct fs_ident fs;

		/* a runtime that is gone: its installations still name it */
		privs_user_fs(&fs);
		if (runtime_locate(o->runtime, path, sizeof(path)))
			snprintf(path, sizeof(path), "%s", o->runtime);
		ret = cmd_load_profile(o->probes, path, true, &p);
		privs_restore_fs(&fs);
		if (ret)
			return ret;
		snprintf(names[(*n)++], UPROBE_NAME_LEN, "%s", p->name);
		profile__free(p);
	}
	if (!o->all && (*n || strcmp(o->verb, "list")))
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		snprintf(dir, sizeof(dir), "%s/%s", o->config, pass ? "boot.d" : "installed");
		cnt = scandir(dir, &de, NULL, alphasort);
		for (int i = 0; i < cnt; i++) {
			size_t len = strlen(de[i]->d_name), k;

			if (len > 5 && !strcmp(de[i]->d_name + len - 5, ".conf") && *n < MAX_NAMES &&
			    len - 5 < UPROBE_NAME_LEN) {
				for (k = 0; k < *n; k++)
					if (!strncmp(names[k], de[i]->d_name, len - 5) &&
					    !names[k][len - 5])
						break;
				if (k == *n)
					snprintf(names[(*n)++], UPROBE_NAME_LEN, "%.*s",
						 (int)(len - 5), de[i]->d_name);
			}
			free(de[i]);
		}
		free(de);
		de = NULL;
	}
	return 0;
}

static const char *event_status(const struct install_rec *r, size_t i,
				const struct uprobe_def *cur, size_t ncur)
{
	const struct uprobe_def *c = uprobe_events__find(cur, ncur, r->group, r->ev[i].event);
	char id[128];

	if (!c)
		return "missing";
	if (!uprobe_def__same(c, &r->ev[i]))
		return "foreign";
	if (access(r->ev[i].path, F_OK))
		return "stale";
	file_build_id(r->ev[i].path, id, sizeof(id));
	return strcmp(id, rec_build_id(r, r->ev[i].path)) ? "stale" : "ok";
}

static void list_one(const struct probes_opts *o, const char *name, const struct uprobe_def *cur,
		     size_t ncur)
{
	char recfile[PATH_MAX], bootfile[PATH_MAX];
	struct install_rec r;
	bool boot, bad = false;

	rec_path(o, "installed", name, recfile, sizeof(recfile));
	rec_path(o, "boot.d", name, bootfile, sizeof(bootfile));
	boot = access(bootfile, F_OK) == 0;
	if (rec_load(recfile, &r)) {
		printf("%s: not installed%s\n", name, boot ? " now; re-created at boot" : "");
		return;
	}
	printf("%s: group %s, runtime %s (build-id %s)%s\n", r.profile, r.group, r.runtime,
	       rec_build_id(&r, r.runtime), boot ? ", re-created at boot" : "");
	printf("  %-36s %-6s %-8s %s\n", "EVENT", "PROBE", "STATUS", "SITE");
	for (size_t i = 0; i < r.nev; i++) {
		const char *st = event_status(&r, i, cur, ncur);
		char full[2 * UPROBE_NAME_LEN + 2];

		bad |= strcmp(st, "ok") != 0;
		snprintf(full, sizeof(full), "%s:%s", r.group, r.ev[i].event);
		printf("  %-36s %-6s %-8s %s\n", full, r.ev[i].retprobe ? "return" : "entry", st,
		       r.site[i]);
	}
	if (bad)
		printf("  hint: 'phaseprof probes install -x %s%s' re-resolves them\n", r.runtime,
		       boot ? " --boot" : "");
	rec_free(&r);
}

static int cmd_list(const struct probes_opts *o)
{
	char names[MAX_NAMES][UPROBE_NAME_LEN], tracefs[PATH_MAX];
	struct uprobe_def *cur = NULL;
	size_t n, ncur = 0;
	char why[512] = "";
	int ret = target_names(o, names, &n), err;

	if (ret)
		return ret;
	err = tracefs_ensure(tracefs, sizeof(tracefs), why, sizeof(why));
	if (!err)
		err = uprobe_events__list(tracefs, &cur, &ncur);
	if (err == -EACCES || err == -EPERM) {
		/* the usual case without root: not a failure of phaseprof */
		pr_err("cannot list uprobe events: tracefs is root's; run it with sudo");
		return PP_EXIT_NO_PRIVILEGE;
	}
	if (err && why[0])
		pr_err("%s", why);
	else if (err)
		pr_err("cannot read %s/uprobe_events: %s", tracefs, strerror(-err));
	if (err)
		return PP_EXIT_FAILURE;
	if (!n)
		printf("no probes installed (in %s)\n", o->config);
	for (size_t i = 0; i < n; i++)
		list_one(o, names[i], cur, ncur);
	free(cur);
	return PP_EXIT_OK;
}

/* Remove exactly the events the record names, as recorded; then forget the record. */
static int remove_one(const struct probes_opts *o, const char *name, const char *tracefs)
{
	char recfile[PATH_MAX], bootfile[PATH_MAX];
	struct uprobe_def *cur = NULL;
	struct install_rec r;
	size_t ncur = 0, removed = 0;
	int ret = 0, err;

	rec_path(o, "installed", name, recfile, sizeof(recfile));
	rec_path(o, "boot.d", name, bootfile, sizeof(bootfile));
	err = rec_load(recfile, &r);
	if (err && err != -ENOENT) {
		pr_err("cannot read '%s': %s", recfile, strerror(-err));
		return PP_EXIT_FAILURE;
	}
	if (!err) {
		err = uprobe_events__list(tracefs, &cur, &ncur);
		if (err) {
			pr_err("cannot read %s/uprobe_events: %s", tracefs, strerror(-err));
			rec_free(&r);
			return PP_EXIT_FAILURE;
		}
		for (size_t i = 0; i < r.nev; i++) {
			const struct uprobe_def *c = uprobe_events__find(cur, ncur, r.group,
									 r.ev[i].event);

			if (c && !uprobe_def__same(c, &r.ev[i]))
				pr_warn("left %s:%s alone: it is no longer the event phaseprof made",
					r.group, r.ev[i].event);
			else if (c && remove_event(tracefs, c))
				ret = PP_EXIT_FAILURE;
			else if (c)
				removed++;
		}
		if (!ret && unlink(recfile))
			pr_warn("cannot remove '%s': %s", recfile, strerror(errno));
		printf("%s: %zu uprobe events removed from %s\n", name, removed, r.group);
		free(cur);
		rec_free(&r);
	} else if (!o->boot || access(bootfile, F_OK)) {
		printf("%s: nothing installed\n", name);
	}
	if (o->boot && !access(bootfile, F_OK)) {
		if (unlink(bootfile)) {
			pr_err("cannot remove '%s': %s", bootfile, strerror(errno));
			return PP_EXIT_FAILURE;
		}
		printf("%s: no longer re-created at boot\n", name);
	} else if (!access(bootfile, F_OK)) {
		pr_note("%s is still re-created at boot; 'phaseprof probes remove --boot' forgets it",
			name);
	}
	return ret;
}

static int cmd_remove(const struct probes_opts *o)
{
	char names[MAX_NAMES][UPROBE_NAME_LEN], tracefs[PATH_MAX];
	size_t n;
	int ret = target_names(o, names, &n);

	if (ret)
		return ret;
	if (!n && !o->all)
		return cmd_usage_error("probes", "%sremove what? give -x RUNTIME, a profile name, or --all", "");
	ret = get_tracefs(tracefs, sizeof(tracefs));
	for (size_t i = 0; i < n && !ret; i++)
		ret = remove_one(o, names[i], tracefs);
	if (!ret && o->boot && boot_dir_empty(o))
		uninstall_unit(o);
	return ret;
}

static int cmd_install(const struct probes_opts *o)
{
	struct install_req q = { o->runtime, o->probes, o->debuginfo, o->ndebuginfo };

	if (o->from_boot)
		return install_from_boot(o);
	if (!o->runtime)
		return cmd_usage_error("probes", "%sno runtime given; use -x RUNTIME", "");
	return install_one(o, &q, o->boot);
}

/* ---- command line ---- */

/* what the options give before they are checked */
struct probes_args {
	struct probes_opts *o;
	const char *config;
};

static int probes_option(int c, void *ctx, char **argv)
{
	struct probes_args *a = ctx;
	struct probes_opts *o = a->o;

	(void)argv;
	switch (c) {
	case 1:
		if (!o->verb)
			o->verb = optarg;
		else if (o->nnames < MAX_NAMES)
			o->names[o->nnames++] = optarg;
		break;
	case 'x': o->runtime = optarg; break;
	case OPT_PROBES: o->probes = optarg; break;
	case OPT_BOOT: o->boot = true; break;
	case OPT_FROM_BOOT: o->from_boot = true; break;
	case OPT_ALL: o->all = true; break;
	case OPT_CONFIG_DIR: a->config = optarg; break;
	case 'v': log_verbosity++; break;
	case OPT_DEBUGINFO:
		if (o->ndebuginfo == MAX_DEBUGINFO_DIRS)
			return cmd_usage_error("probes", "too many --debuginfo directories (at most 16)", "");
		o->debuginfo[o->ndebuginfo++] = optarg;
		break;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct probes_opts *o, bool *done)
{
	/* '-': options may follow the verb and profile names, which come as 1 */
	static const struct opt_verb v = { "probes", probes_usage, probes_options, probes_examples,
					   '-' };
	const char *env = getenv("PHASEPROF_CONFIG_DIR"), *config;
	struct probes_args a = { o, NULL };
	int ret;

	memset(o, 0, sizeof(*o));
	ret = options_parse(argc, argv, &v, probes_option, &a, done);
	if (ret || *done)
		return ret;
	config = a.config;
	if (!config)
		config = env && *env ? env : DEFAULT_CONFIG_DIR;
	if (config[0] != '/' || strlen(config) >= sizeof(o->config) || !uprobe_path__safe(config))
		return cmd_usage_error("probes", "the configuration directory must be an absolute path "
				   "shorter than 1024 bytes of letters, digits and / . _ - + @ , ~ =, "
				   "not '%s'", config);
	for (size_t i = 0; i < o->nnames; i++)
		if (strspn(o->names[i], "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
			    strlen(o->names[i]) || !o->names[i][0])
			return cmd_usage_error("probes", "'%s' is not a profile name ([a-z0-9_-])",
					   o->names[i]);
	snprintf(o->config, sizeof(o->config), "%s", config);
	o->default_config = !strcmp(config, DEFAULT_CONFIG_DIR);
	return 0;
}

static int run_verb(const struct probes_opts *o);

int cmd_probes(int argc, char **argv)
{
	struct probes_opts o;
	bool done;
	int ret = parse_opts(argc, argv, &o, &done);

	if (ret || done)
		return ret;
	if (!o.verb)
		return cmd_usage_error("probes", "%sprobes needs a verb: install, list or remove", "");
	if (strcmp(o.verb, "install") && (o.from_boot || (o.boot && strcmp(o.verb, "remove"))))
		return cmd_usage_error("probes", "--boot and --from-boot-config go with install (--boot with "
				   "remove too), not '%s'", o.verb);
	if (!strcmp(o.verb, "install") && o.nnames)
		return cmd_usage_error("probes", "install takes -x RUNTIME, not '%s'", o.names[0]);
	if (geteuid() != 0 && strcmp(o.verb, "list")) {
		pr_err("cannot %s uprobe events: writing tracefs needs root; run it with sudo",
		       o.verb);
		return PP_EXIT_NO_PRIVILEGE;
	}
	return run_verb(&o);
}

/*
 * The configuration directory holds what root re-creates at boot: it must be
 * root's alone. The verbs keep root's state, so they run with root's file
 * identity (privs.h); only the runtime and the profile are read as the user.
 */
static int run_verb(const struct probes_opts *o)
{
	char why[PATH_MAX + 128];
	struct fs_ident fs;
	int ret;

	privs_root_fs(&fs);
	if (strcmp(o->verb, "list") && privs_check_roots(o->config, true, why, sizeof(why))) {
		pr_err("refusing configuration directory %s: %s; it must be root's and writable "
		       "by root alone",
		       o->config, why);
		ret = PP_EXIT_FAILURE;
	} else if (o->boot && !strcmp(o->verb, "install") &&
		   privs_check_roots(unit_dir(), true, why, sizeof(why))) {
		/* systemd runs what the unit says as root */
		pr_err("refusing unit directory %s: %s; it must be root's and writable by root "
		       "alone",
		       unit_dir(), why);
		ret = PP_EXIT_FAILURE;
	} else if (!strcmp(o->verb, "install"))
		ret = cmd_install(o);
	else if (!strcmp(o->verb, "list"))
		ret = cmd_list(o);
	else if (!strcmp(o->verb, "remove"))
		ret = cmd_remove(o);
	else
		ret = -1;
	privs_restore_fs(&fs);
	return ret >= 0 ? ret : cmd_usage_error("probes", "'%s' is not a probes verb; use install, list or remove", o->verb);
}
