/* SPDX-License-Identifier: MIT */
/*
 * wasmfile.h: what a profile needs to know about the module it runs before the
 * run: which host modules it imports from (a WASI command imports
 * wasi_snapshot_preview1), and what a runtime binary was built with. Bounded
 * parsers of untrusted files: every length is checked against what is left.
 */
#ifndef PHASEPROF_WASMFILE_H
#define PHASEPROF_WASMFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Does the binary module in buf import anything from a module named name?
 * 1 yes, 0 no, -EINVAL when buf is not a well-formed binary module up to the
 * end of its import section.
 */
int wasm_imports_from(const uint8_t *buf, size_t len, const char *name);
/*
 * Does the module file import WASI (wasi_snapshot_preview1, or the older
 * wasi_unstable)? 1, 0, or -errno (-EINVAL: not a binary module; files over
 * 1 GiB are refused).
 */
int wasm_file_imports_wasi(const char *path);
/* What a module file holds: where the code that runs it comes from. */
enum module_kind {
	MODULE_UNKNOWN,       /* not a module phaseprof can read */
	MODULE_WASM,          /* a binary module: interpreted or compiled by the runtime */
	MODULE_WAMR_AOT,      /* WAMR's AOT file (wamrc): native code, "\0aot" magic */
	MODULE_WASMEDGE_AOT,  /* a WasmEdge universal wasm: a module with a "wasmedge" AOT section */
	MODULE_NATIVE,	      /* an ELF file: AOT code in a native library (wasmedge compile) */
};
/* The kind of the module file at path (MODULE_UNKNOWN when it cannot be read). */
enum module_kind wasm_file_kind(const char *path);
enum module_kind wasm_buf_kind(const uint8_t *buf, size_t len);
/* "wasm", "wamr-aot", "wasmedge-aot", "native" or "unknown". */
const char *module_kind_name(enum module_kind k);

/* Does the file contain text (a message only some builds carry)? 1, 0, or -errno. */
int file_contains(const char *path, const char *text);

#endif /* PHASEPROF_WASMFILE_H */
