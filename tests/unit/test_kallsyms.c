// SPDX-License-Identifier: MIT
/*
 * test_kallsyms.c: the kernel symbol cache (kallsyms.c). An entry made from a
 * small kallsyms and module list names what it covers, and nothing else; it
 * survives a write and read through a root-only directory; corrupt entries
 * are refused. As root, the machine's own /proc/kallsyms goes through the
 * cache and every covered symbol keeps its name.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "fileread.h"
#include "kallsyms.h"
#include "rootcache.h"

static const char ktext[] = "ffffffff81000000 T _stext\n"
			    "ffffffff81000000 T startup_64\n"
			    "ffffffff81000100 t do_thing\n"
			    "ffffffff81000200 D some_data\n"
			    "ffffffff81000300 W weak_fn\n"
			    "ffffffff81000400 T _etext\n"
			    "ffffffff81000500 t init_fn\n"
			    "0000000000000000 t hidden\n"
			    "ffffffffc0001000 t a_first\t[moda]\n"
			    "ffffffffc0001100 t a_second\t[moda]\n"
			    "ffffffffc0001200 t a_last\t[moda]\n"
			    "ffffffffc0001300 t bpf_prog_1234_x\t[bpf]\n"
			    "ffffffffc0004000 t b_first\t[modb]\n"
			    "ffffffffc0004080 T b_last\t[modb]\n"
			    "ffffffffc0009000 t c_only\t[modc]\n"
			    "not a line\n"
			    "ffffffffc000a000 t";
static const char modules[] = "moda 8192 0 - Live 0xffffffffc0001000\n"
			      "modb 4096 1 moda, Live 0xffffffffc0004000 (O)\n"
			      "modc 4096 0 - Live 0xffffffffc0009000\n"
			      "hid 4096 0 - Live 0x0000000000000000\n";

static struct kallsyms *parse_text(void)
{
	char *t = strdup(ktext);

	return kallsyms__parse(t, sizeof(ktext) - 1);
}

/* addr is named name by k, or not at all when name is NULL */
static void check_name(const struct kallsyms *k, uint64_t addr, const char *name)
{
	const char *got = kallsyms__find(k, addr);

	if (name)
		CHECK_STR(got, name);
	else if (got)
		CHECK_STR(got, "(none)");
}

static void check_cached(const struct kallsyms *k)
{
	CHECK(!kallsyms__complete(k));
	check_name(k, 0xffffffff80ffffff, NULL);
	check_name(k, 0xffffffff81000000, "startup_64");
	check_name(k, 0xffffffff81000150, "do_thing");
	check_name(k, 0xffffffff81000350, "weak_fn"); /* data symbols are not names */
	check_name(k, 0xffffffff81000400, NULL);      /* _etext: past the core kernel's text */
	check_name(k, 0xffffffff81000550, NULL);      /* init text: not covered */
	check_name(k, 0xffffffffc0001000, "a_first");
	check_name(k, 0xffffffffc00011ff, "a_second");
	check_name(k, 0xffffffffc0001250, NULL); /* a module's last function: not covered */
	check_name(k, 0xffffffffc0001310, NULL); /* BPF in the module's span */
	check_name(k, 0xffffffffc0004050, "b_first");
	check_name(k, 0xffffffffc0009010, NULL); /* one symbol only: nothing covered */
	CHECK_INT(kallsyms__count(k), 7);	 /* _stext too */
}

static void test_parse(void)
{
	struct kallsyms *k = parse_text();

	CHECK(k && kallsyms__complete(k));
	if (!k)
		return;
	CHECK_INT(kallsyms__count(k), 13); /* text symbols with an address */
	check_name(k, 0xffffffff81000250, "do_thing");
	check_name(k, 0xffffffffc0001250, "a_last");
	check_name(k, 0xffffffffc0001350, "bpf_prog_1234_x");
	check_name(k, 0xffffffff80000000, NULL);
	kallsyms__free(k);
}

static char *encoded(size_t *len)
{
	struct kallsyms *k = parse_text();
	char *buf = NULL;

	CHECK(k != NULL);
	if (k)
		CHECK_INT(kallsyms__encode(k, modules, sizeof(modules) - 1, &buf, len), 0);
	kallsyms__free(k);
	return buf;
}

/* decode a copy of buf[0..len) with byte at set to val (at < len), expecting a table or not */
static void check_decode(const char *buf, size_t len, size_t at, uint32_t val, bool ok)
{
	char *copy = malloc(len ? len : 1);
	struct kallsyms *k;

	memcpy(copy, buf, len);
	if (at + 4 <= len)
		memcpy(copy + at, &val, 4);
	k = kallsyms__decode(copy, len);
	CHECK(!!k == ok);
	if (k && ok)
		check_cached(k);
	kallsyms__free(k);
}

/* Offsets into the entry, as kallsyms.c lays it out: 32-byte header, 16-byte ranges, 16-byte
 * symbols {start, name, 0}; here 3 ranges. */
#define SYM0 (32 + 3 * 16)

static void test_corrupt(void)
{
	size_t len = 0;
	char *buf = encoded(&len);
	uint32_t strsize;

	if (!buf)
		return;
	memcpy(&strsize, buf + 20, 4);
	check_decode(buf, len, len, 0, true);
	check_decode(buf, len - 1, len, 0, false);		  /* truncated */
	check_decode(buf, 20, len, 0, false);			  /* a header cut short */
	check_decode(buf, len, 0, 0x41414141, false);		  /* wrong magic */
	check_decode(buf, len, 8, 2, false);			  /* another version */
	check_decode(buf, len, 12, 0xffffffff, false);		  /* ranges past the end */
	check_decode(buf, len, 16, 0xffffffff, false);		  /* symbols past the end */
	check_decode(buf, len, 20, strsize + 1, false);		  /* strings past the end */
	check_decode(buf, len, SYM0 + 8, strsize, false);	  /* a name out of bounds */
	check_decode(buf, len, SYM0 + 12, 1, false);		  /* not zero */
	check_decode(buf, len, SYM0, 0x81000200, false);	  /* symbols out of order */
	check_decode(buf, len, SYM0 + 6 * 16, 0xc0004100, false); /* outside its range */
	check_decode(buf, len, 32, 0x81000400, false);		  /* an empty range */
	check_decode(buf, len, 32 + 16, 0x81000000, false);	  /* overlapping ranges */
	check_decode(buf, len, len - 4, 0x41414141, false);	  /* strings not NUL-terminated */
	free(buf);
}

static int write_buf(FILE *f, const void *ctx)
{
	const struct {
		const char *p;
		size_t len;
	} *b = ctx;

	return fwrite(b->p, 1, b->len, f) == b->len ? 0 : -1;
}

/* Through a root-only directory and back, as the cache does (root only: it writes as root). */
static void test_roundtrip(void)
{
	char dir[] = "/tmp/test_kallsyms.XXXXXX", path[64];
	struct {
		const char *p;
		size_t len;
	} b;
	size_t len = 0, rlen = 0;
	char *buf = encoded(&len), *back;
	struct stat st;
	struct kallsyms *k;

	if (!buf || geteuid() != 0 || !mkdtemp(dir)) {
		free(buf);
		return;
	}
	b.p = buf;
	b.len = len;
	CHECK_INT(rootcache_write(dir, "test cache", "e.ksyms", 0600, write_buf, &b), 0);
	back = rootcache_read(dir, "test cache", "e.ksyms", 64 << 20, &rlen);
	CHECK(back && rlen == len && !memcmp(back, buf, len));
	k = back ? kallsyms__decode(back, rlen) : NULL;
	CHECK(k != NULL);
	if (k)
		check_cached(k);
	kallsyms__free(k);
	snprintf(path, sizeof(path), "%s/e.ksyms", dir);
	CHECK(!stat(path, &st) && (st.st_mode & 07777) == 0600); /* kernel addresses are secret */
	unlink(path);
	rmdir(dir);
	free(buf);
}

/*
 * This machine's kernel through an entry: every text symbol the entry covers
 * is named as all of /proc/kallsyms names it (root only: others see no addresses).
 */
static void test_this_kernel(void)
{
	struct kallsyms *full = kallsyms__read(), *cached = NULL;
	char *text = NULL, *mods = NULL, *buf = NULL;
	size_t len = 0, mlen = 0, blen = 0, covered = 0;

	if (!full || read_whole_file("/proc/kallsyms", 0, 64 << 20, &text, &len))
		goto out;
	if (read_whole_file("/proc/modules", 0, 4 << 20, &mods, &mlen))
		mlen = 0;
	CHECK_INT(kallsyms__encode(full, mods ? mods : "", mlen, &buf, &blen), 0);
	cached = buf ? kallsyms__decode(buf, blen) : NULL;
	CHECK(cached != NULL);
	for (char *line = text; cached && line && *line;) {
		unsigned long long addr = strtoull(line, NULL, 16);
		const char *c = kallsyms__find(cached, addr), *f = kallsyms__find(full, addr);

		if (c) {
			covered++;
			if (!f || strcmp(c, f))
				CHECK_STR(c, f);
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	CHECK(!cached || covered > kallsyms__count(cached) / 2);
	printf("this kernel: %zu symbols, %zu in the entry, %zu lines named from it\n",
	       kallsyms__count(full), cached ? kallsyms__count(cached) : 0, covered);
out:
	kallsyms__free(full);
	kallsyms__free(cached);
	free(text);
	free(mods);
}

int main(void)
{
	test_parse();
	test_corrupt();
	test_roundtrip();
	test_this_kernel();
	return checks_report("test_kallsyms");
}
