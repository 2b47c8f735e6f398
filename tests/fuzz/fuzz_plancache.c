// SPDX-License-Identifier: MIT
/*
 * fuzz_plancache.c: libFuzzer over the plan-cache reader (plancache.c), which
 * root reads from /var/cache/phaseprof/plans. The input is written where
 * plancache__load looks for the entry of a fixed profile and runtime, then
 * loaded. A line "file @" in the input becomes the true identity line of a
 * file made here, so that mutations reach the site and att lines behind it.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../profiles/plancache.c"

static char dir[] = "/tmp/fuzz_plancache.XXXXXX";
static char entry[4200], identity_line[512];
static struct profile *prof;
static char runtime[4200];

static const char probe[] = "profile t\nbinaries rt\nphase load\n\tduring a | b\n"
			    "phase execute\n\tduring c\n\tduring lib:libc.so.6:d\n";

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[4200], err[256], *h;
	struct file_ident id;

	(void)argc, (void)argv;
	if (!mkdtemp(dir))
		abort();
	setenv("PHASEPROF_CACHE_DIR", dir, 1);
	snprintf(path, sizeof(path), "%s/t.probe", dir);
	write_file(path, probe, sizeof(probe) - 1);
	snprintf(runtime, sizeof(runtime), "%s/rt", dir);
	write_file(runtime, "\177ELF", 4);
	if (profile__parse(path, &prof, err, sizeof(err)) || entry_name(prof, runtime, NULL, path, 64))
		abort();
	snprintf(entry, sizeof(entry), "%s/%s", dir, path);
	if (rootcache_file_ident(runtime, &id))
		abort();
	h = identity_line + snprintf(identity_line, sizeof(identity_line),
				     "file %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " ",
				     id.dev, id.ino, id.size, id.mtime_ns, id.ctime_ns);
	for (const char *s = runtime; *s; s++)
		h += sprintf(h, "%02x", (unsigned char)*s);
	return 0;
}

/* the input with every "file @" replaced by the identity line */
static void write_entry_file(const uint8_t *data, size_t size)
{
	FILE *f = fopen(entry, "w");

	if (!f)
		abort();
	for (size_t i = 0; i < size; i++) {
		if (size - i >= 6 && !memcmp(data + i, "file @", 6)) {
			fputs(identity_line, f);
			i += 5;
		} else {
			fputc(data[i], f);
		}
	}
	if (fclose(f))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan pl;

	write_entry_file(data, size);
	if (!plancache__load(&pl, prof, runtime, NULL)) {
		for (size_t i = 0; i < pl.natt; i++)
			if (!pl.att[i].path || (size_t)pp_cookie_site(pl.att[i].cookie) >= pl.nsites)
				abort();
		plan__free(&pl);
	}
	return 0;
}
