// SPDX-License-Identifier: MIT
/* wasmfile.c: module imports and binary contents, see wasmfile.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "wasmfile.h"

#define MAX_FILE_BYTES (1ull << 30)
#define SECTION_IMPORT 2

struct reader {
	const uint8_t *p, *end;
};

/* An unsigned LEB128 of at most 32 bits; -EINVAL when truncated or too long. */
static int read_u32(struct reader *r, uint32_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 35; shift += 7) {
		if (r->p >= r->end)
			return -EINVAL;
		x |= (uint64_t)(*r->p & 0x7f) << shift;
		if (!(*r->p++ & 0x80))
			break;
		if (shift == 28)
			return -EINVAL;
	}
	if (x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static int skip(struct reader *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return -EINVAL;
	r->p += n;
	return 0;
}

/* A name (length, bytes): 1 when it equals want, 0 when not. */
static int read_name(struct reader *r, const char *want)
{
	uint32_t n;
	const uint8_t *s;

	if (read_u32(r, &n))
		return -EINVAL;
	s = r->p;
	if (skip(r, n))
		return -EINVAL;
	return want && n == strlen(want) && !memcmp(s, want, n);
}

/* The import description after the two names: its kind and its type. */
static int skip_import_desc(struct reader *r)
{
	uint32_t v, flags;

	if (r->p >= r->end)
		return -EINVAL;
	switch (*r->p++) {
	case 0x00: /* function: type index */
		return read_u32(r, &v);
	case 0x01: /* table: reftype, limits */
		if (skip(r, 1))
			return -EINVAL;
		/* fall through */
	case 0x02: /* memory: limits (flags bit 0: a maximum follows) */
		if (read_u32(r, &flags) || read_u32(r, &v))
			return -EINVAL;
		return flags & 1 ? read_u32(r, &v) : 0;
	case 0x03: /* global: valtype, mutability */
		return skip(r, 2);
	case 0x04: /* tag: attribute, type index */
		return skip(r, 1) ?: read_u32(r, &v);
	default:
		return -EINVAL;
	}
}

static int scan_imports(struct reader *r, const char *name)
{
	uint32_t count;
	int found = 0;

	if (read_u32(r, &count))
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		int m = read_name(r, name);

		if (m < 0 || read_name(r, NULL) < 0 || skip_import_desc(r))
			return -EINVAL;
		found |= m;
	}
	return found;
}

int wasm_imports_from(const uint8_t *buf, size_t len, const char *name)
{
	static const uint8_t magic[8] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
	struct reader r = { buf, buf + len };

	if (len < sizeof(magic) || memcmp(buf, magic, sizeof(magic)))
		return -EINVAL;
	r.p += sizeof(magic);
	while (r.p < r.end) {
		uint8_t id = *r.p++;
		uint32_t size;
		struct reader sec;

		if (read_u32(&r, &size) || (size_t)(r.end - r.p) < size)
			return -EINVAL;
		sec = (struct reader){ r.p, r.p + size };
		if (id == SECTION_IMPORT)
			return scan_imports(&sec, name);
		/* sections are ordered: past the imports, there are none */
		if (id > SECTION_IMPORT)
			return 0;
		r.p += size;
	}
	return 0;
}

/* Map a regular file read-only; 0 with *map and *len set (len 0: nothing mapped). */
static int map_file(const char *path, void **map, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if ((unsigned long long)st.st_size > MAX_FILE_BYTES)
		err = -EFBIG;
	*len = err ? 0 : (size_t)st.st_size;
	*map = NULL;
	if (!err && *len) {
		*map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*map == MAP_FAILED)
			err = -errno;
	}
	close(fd);
	return err;
}

int wasm_file_imports_wasi(const char *path)
{
	void *map;
	size_t len;
	int ret = map_file(path, &map, &len);

	if (ret)
		return ret;
	if (!len)
		return -EINVAL;
	ret = wasm_imports_from(map, len, "wasi_snapshot_preview1");
	if (ret == 0)
		ret = wasm_imports_from(map, len, "wasi_unstable");
	munmap(map, len);
	return ret;
}

int file_contains(const char *path, const char *text)
{
	void *map;
	size_t len;
	int ret = map_file(path, &map, &len);

	if (ret)
		return ret;
	ret = len && memmem(map, len, text, strlen(text)) != NULL;
	if (len)
		munmap(map, len);
	return ret;
}

/* A custom section (id 0) named name among the sections of a binary module. */
static bool has_custom_section(const uint8_t *buf, size_t len, const char *name)
{
	struct reader r = { buf + 8, buf + len };

	while (r.p < r.end) {
		uint8_t id = *r.p++;
		uint32_t size;
		struct reader sec;

		if (read_u32(&r, &size) || (size_t)(r.end - r.p) < size)
			return false;
		sec = (struct reader){ r.p, r.p + size };
		if (id == 0 && read_name(&sec, name) == 1)
			return true;
		r.p += size;
	}
	return false;
}

enum module_kind wasm_buf_kind(const uint8_t *buf, size_t len)
{
	static const uint8_t wasm[8] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
	static const uint8_t aot[4] = { 0, 'a', 'o', 't' };

	static const uint8_t elf[4] = { 0x7f, 'E', 'L', 'F' };

	if (len >= 8 && !memcmp(buf, aot, sizeof(aot)))
		return MODULE_WAMR_AOT;
	if (len >= 8 && !memcmp(buf, elf, sizeof(elf)))
		return MODULE_NATIVE;
	if (len < 8 || memcmp(buf, wasm, sizeof(wasm)))
		return MODULE_UNKNOWN;
	return has_custom_section(buf, len, "wasmedge") ? MODULE_WASMEDGE_AOT : MODULE_WASM;
}

enum module_kind wasm_file_kind(const char *path)
{
	void *map;
	size_t len;
	enum module_kind k;

	if (map_file(path, &map, &len) || !len)
		return MODULE_UNKNOWN;
	k = wasm_buf_kind(map, len);
	munmap(map, len);
	return k;
}

const char *module_kind_name(enum module_kind k)
{
	static const char *const names[] = { "unknown", "wasm", "wamr-aot", "wasmedge-aot",
					     "native" };

	return k <= MODULE_NATIVE ? names[k] : "unknown";
}
