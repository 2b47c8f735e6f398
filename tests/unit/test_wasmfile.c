// SPDX-License-Identifier: MIT
/*
 * test_wasmfile.c: the import-section scan that chooses how a profile runs a
 * module (WASI or not): modules with and without WASI imports, custom
 * sections, every import kind, and truncated or corrupt bytes (never read
 * past the end, always an error).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasmfile.h"
#include "check.h"

#define MAGIC 0, 'a', 's', 'm', 1, 0, 0, 0
/* a custom section "n" with one byte, a type section, then imports */
static const uint8_t wasi_mod[] = {
	MAGIC,
	0, 3, 1, 'n', 9,                    /* custom */
	1, 4, 1, 0x60, 0, 0,                /* type: () -> () */
	2, 58, 4,                           /* import section: 4 imports */
	3, 'e', 'n', 'v', 3, 'm', 'e', 'm', 2, 1, 1, 2, /* memory, min 1 max 2 */
	3, 'e', 'n', 'v', 1, 't', 1, 0x70, 0, 1, /* table funcref, min 1 */
	3, 'e', 'n', 'v', 1, 'g', 3, 0x7f, 0,   /* global i32 const */
	22, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's', 'h', 'o', 't', '_', 'p', 'r',
	'e', 'v', 'i', 'e', 'w', '1', 0, 0, 0, /* empty field name, function of type 0 */
};

static const uint8_t plain_mod[] = {
	MAGIC, 1, 4, 1, 0x60, 0, 0,
	2, 12, 1, 3, 'e', 'n', 'v', 4, 'p', 'u', 't', 's', 0, 0,
	3, 2, 1, 0, /* function section: after the imports */
};

static void test_modules(void)
{
	static const uint8_t empty[] = { MAGIC };
	static const uint8_t bad_magic[] = { 0, 'a', 's', 'n', 1, 0, 0, 0 };

	CHECK_INT(wasm_imports_from(wasi_mod, sizeof(wasi_mod), "wasi_snapshot_preview1"), 1);
	CHECK_INT(wasm_imports_from(wasi_mod, sizeof(wasi_mod), "env"), 1);
	CHECK_INT(wasm_imports_from(wasi_mod, sizeof(wasi_mod), "wasi_unstable"), 0);
	CHECK_INT(wasm_imports_from(plain_mod, sizeof(plain_mod), "wasi_snapshot_preview1"), 0);
	CHECK_INT(wasm_imports_from(plain_mod, sizeof(plain_mod), "env"), 1);
	CHECK_INT(wasm_imports_from(empty, sizeof(empty), "env"), 0);
	CHECK_INT(wasm_imports_from(bad_magic, sizeof(bad_magic), "env"), -EINVAL);
	CHECK_INT(wasm_imports_from(empty, 4, "env"), -EINVAL);
}

/* Every prefix of a module cut inside its import section is an error, read in bounds. */
static void test_truncated(void)
{
	for (size_t len = 20; len < sizeof(wasi_mod); len++) { /* 19: the import section starts */
		uint8_t *copy = malloc(len);
		int ret;

		if (!copy)
			return;
		memcpy(copy, wasi_mod, len);
		ret = wasm_imports_from(copy, len, "wasi_snapshot_preview1");
		CHECK(ret == -EINVAL);
		free(copy);
	}
}

/* Flipped bytes: any answer, never a read out of bounds (valgrind/ASan runs tell). */
static void test_corrupt(void)
{
	uint8_t copy[sizeof(wasi_mod)];
	int answers = 0;

	for (size_t i = 8; i < sizeof(wasi_mod); i++)
		for (int v = 0; v < 256; v += 17) {
			memcpy(copy, wasi_mod, sizeof(copy));
			copy[i] = (uint8_t)v;
			answers += wasm_imports_from(copy, sizeof(copy), "env") >= -EINVAL;
		}
	CHECK(answers > 0);
}

static void test_files(void)
{
	char path[] = "/tmp/test_wasmfile.XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, wasi_mod, sizeof(wasi_mod)) == (ssize_t)sizeof(wasi_mod));
	close(fd);
	CHECK_INT(wasm_file_imports_wasi(path), 1);
	CHECK_INT(file_contains(path, "wasi_snapshot"), 1);
	CHECK_INT(file_contains(path, "not compiled in"), 0);
	unlink(path);
	CHECK_INT(wasm_file_imports_wasi(path), -ENOENT);
	CHECK_INT(wasm_file_imports_wasi("/dev/null"), -EINVAL);
}

static void test_kinds(void)
{
	static const uint8_t aot[] = { 0, 'a', 'o', 't', 3, 0, 0, 0, 1 };
	static const uint8_t universal[] = { MAGIC, 0, 10, 8, 'w', 'a', 's', 'm', 'e', 'd', 'g', 'e', 7 };
	static const uint8_t other_custom[] = { MAGIC, 0, 3, 1, 'n', 9 };
	static const uint8_t short_custom[] = { MAGIC, 0, 30, 8, 'w', 'a', 's', 'm' };

	CHECK_INT(wasm_buf_kind(aot, sizeof(aot)), MODULE_WAMR_AOT);
	CHECK_INT(wasm_buf_kind(universal, sizeof(universal)), MODULE_WASMEDGE_AOT);
	CHECK_INT(wasm_buf_kind(other_custom, sizeof(other_custom)), MODULE_WASM);
	CHECK_INT(wasm_buf_kind(wasi_mod, sizeof(wasi_mod)), MODULE_WASM);
	CHECK_INT(wasm_buf_kind(short_custom, sizeof(short_custom)), MODULE_WASM);
	CHECK_INT(wasm_buf_kind(aot, 4), MODULE_UNKNOWN);
	CHECK_STR(module_kind_name(MODULE_WAMR_AOT), "wamr-aot");
	CHECK_INT(wasm_file_kind("/nonexistent"), MODULE_UNKNOWN);
}

int main(void)
{
	test_modules();
	test_truncated();
	test_corrupt();
	test_files();
	test_kinds();
	return checks_report("test_wasmfile");
}
