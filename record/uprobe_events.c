// SPDX-License-Identifier: MIT
/* uprobe_events.c: tracefs uprobe event definitions, see uprobe_events.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "privs.h"
#include "uprobe_events.h"
#include "vec.h"

/* tracefs is root's: open its files with root's file identity (privs.h) */
static int root_open(const char *file, int flags)
{
	struct fs_ident fs;
	int fd, err;

	privs_root_fs(&fs);
	fd = open(file, flags | O_CLOEXEC);
	err = errno;
	privs_restore_fs(&fs);
	errno = err;
	return fd;
}

static FILE *root_fopen_read(const char *file)
{
	int fd = root_open(file, O_RDONLY);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");

	if (fd >= 0 && !f)
		close(fd);
	return f;
}

/* "p:GRP/EV PATH:0xOFF [more]" -> d; false for a line we do not understand */
static bool parse_line(const char *line, struct uprobe_def *d)
{
	const char *slash, *sp, *path, *pend, *colon;
	char *end;

	memset(d, 0, sizeof(*d));
	if ((line[0] != 'p' && line[0] != 'r') || line[1] != ':')
		return false;
	d->retprobe = line[0] == 'r';
	slash = strchr(line + 2, '/');
	sp = strchr(line + 2, ' ');
	if (!slash || !sp || slash > sp || slash - line - 2 >= UPROBE_NAME_LEN ||
	    sp - slash - 1 >= UPROBE_NAME_LEN)
		return false;
	memcpy(d->group, line + 2, slash - line - 2);
	memcpy(d->event, slash + 1, sp - slash - 1);
	path = sp + 1;
	pend = strchrnul(path, ' ');
	colon = memrchr(path, ':', pend - path);
	if (!colon || colon == path || (size_t)(colon - path) >= sizeof(d->path))
		return false;
	memcpy(d->path, path, colon - path);
	d->offset = strtoull(colon + 1, &end, 16);
	return end > colon + 1;
}

int uprobe_events__list(const char *tracefs, struct uprobe_def **out, size_t *n)
{
	char file[PATH_MAX], *line = NULL;
	size_t cap = 0, lcap = 0;
	struct uprobe_def *v = NULL, *nv, d;
	FILE *f;
	int err = 0;

	*out = NULL;
	*n = 0;
	snprintf(file, sizeof(file), "%s/uprobe_events", tracefs);
	f = root_fopen_read(file);
	if (!f)
		return -errno;
	while (getline(&line, &lcap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!parse_line(line, &d))
			continue;
		nv = vec_grow(v, *n, &cap, sizeof(*v), 16);
		if (!nv) {
			err = -ENOMEM;
			break;
		}
		v = nv;
		v[(*n)++] = d;
	}
	free(line);
	fclose(f);
	if (err) {
		free(v);
		*n = 0;
		return err;
	}
	*out = v;
	return 0;
}

const struct uprobe_def *uprobe_events__find(const struct uprobe_def *v, size_t n,
					     const char *group, const char *event)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].group, group) && !strcmp(v[i].event, event))
			return &v[i];
	return NULL;
}

bool uprobe_def__same(const struct uprobe_def *a, const struct uprobe_def *b)
{
	return a->retprobe == b->retprobe && a->offset == b->offset && !strcmp(a->path, b->path);
}

/* O_APPEND, never O_TRUNC: opening uprobe_events with O_TRUNC deletes every event */
static int write_command(const char *tracefs, const char *cmd)
{
	char file[PATH_MAX];
	size_t len = strlen(cmd);
	int fd, err = 0;

	snprintf(file, sizeof(file), "%s/uprobe_events", tracefs);
	fd = root_open(file, O_WRONLY | O_APPEND);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, len) != (ssize_t)len)
		err = -errno;
	close(fd);
	return err;
}

/* The kernel explains a rejected definition in error_log: keep its last line. */
static void last_error_log_line(const char *tracefs, char *buf, size_t len)
{
	char file[PATH_MAX], line[512];
	FILE *f;

	buf[0] = '\0';
	snprintf(file, sizeof(file), "%s/error_log", tracefs);
	f = root_fopen_read(file);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *msg = strstr(line, "trace_uprobe: error: ");

		if (msg)
			snprintf(buf, len, "%s", msg + strlen("trace_uprobe: error: "));
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

bool uprobe_path__safe(const char *path)
{
	/* the kernel splits a definition at blanks, ends it at '#' and its offset at ':' */
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789/._-+@,~=";

	return path[0] == '/' && strspn(path, ok) == strlen(path);
}

/* Read the definition back: the kernel must hold exactly what we meant. */
static int check_defined(const char *tracefs, const struct uprobe_def *d, char *why,
			 size_t whylen)
{
	struct uprobe_def *v;
	const struct uprobe_def *got;
	size_t n;
	int err = uprobe_events__list(tracefs, &v, &n);

	if (err)
		return 0; /* cannot read back: the write itself succeeded */
	got = uprobe_events__find(v, n, d->group, d->event);
	if (!got || !uprobe_def__same(got, d)) {
		snprintf(why, whylen, "tracefs holds '%s/%s' as %s:0x%" PRIx64 ", not as asked",
			 d->group, d->event, got ? got->path : "(nothing)",
			 got ? got->offset : 0);
		err = -EINVAL;
	}
	free(v);
	return err;
}

int uprobe_events__add(const char *tracefs, const struct uprobe_def *d, char *why, size_t whylen)
{
	char cmd[PATH_MAX + 200], klog[256];
	int err;

	if (!uprobe_path__safe(d->path)) {
		snprintf(why, whylen,
			 "tracefs cannot safely name '%s': a uprobe path must be absolute and use "
			 "only letters, digits and / . _ - + @ , ~ = (no blanks, '#', ':' or "
			 "control characters); copy or link the binary to such a path",
			 d->path);
		return -EINVAL;
	}
	snprintf(cmd, sizeof(cmd), "%c:%s/%s %s:0x%" PRIx64 "\n", d->retprobe ? 'r' : 'p',
		 d->group, d->event, d->path, d->offset);
	err = write_command(tracefs, cmd);
	if (!err) {
		err = check_defined(tracefs, d, why, whylen);
		if (err)
			uprobe_events__remove(tracefs, d->group, d->event);
		return err;
	}
	last_error_log_line(tracefs, klog, sizeof(klog));
	snprintf(why, whylen, "%s%s%s", strerror(-err), klog[0] ? ": " : "", klog);
	return err;
}

int uprobe_events__remove(const char *tracefs, const char *group, const char *event)
{
	char cmd[3 * UPROBE_NAME_LEN];

	snprintf(cmd, sizeof(cmd), "-:%s/%s\n", group, event);
	return write_command(tracefs, cmd);
}

int uprobe_events__id(const char *tracefs, const char *group, const char *event)
{
	char file[PATH_MAX];
	FILE *f;
	int id = -1;

	snprintf(file, sizeof(file), "%s/events/%s/%s/id", tracefs, group, event);
	f = root_fopen_read(file);
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &id) != 1)
		id = -EINVAL;
	fclose(f);
	return id;
}

void uprobe_name__sanitize(char *s)
{
	if (s[0] >= '0' && s[0] <= '9')
		s[0] = '_';
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			*s = '_';
}
