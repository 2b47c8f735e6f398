/* SPDX-License-Identifier: MIT */
/*
 * syms.h: the symbol engine. One `struct syms` holds the function symbols of
 * one ELF file, found through libdwfl (.symtab, .dynsym, MiniDebugInfo,
 * build-id and debuglink debug files, debuginfod), demangled once (C++, Rust
 * legacy and v0), sorted by address. Probe sites resolve through it, and
 * sampled addresses are named through it.
 */
#ifndef PHASEPROF_SYMS_H
#define PHASEPROF_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct syms;

struct sym {
	uint64_t vaddr;       /* st_value: link-time virtual address */
	uint64_t size;
	uint64_t file_offset; /* where a uprobe goes: through the PT_LOAD that holds vaddr */
	const char *name;     /* as in the symbol table, mangled */
	/* demangled, Rust hash dropped, clone suffix kept as " [clone .part.0]" */
	const char *demangled;
	const char *source_file; /* STT_FILE context of a local symbol, or NULL */
	bool is_local;
};

struct syms_opts {
	const char *const *debuginfo_dirs; /* --debuginfo DIR..., searched first */
	size_t ndebuginfo_dirs;
};

/*
 * Load the function symbols of the ELF file at path. NULL with errno set on
 * failure, and err (if not NULL) holds a message for the user, such as
 * "'/usr/bin/x' is not an ELF file" or "no symbols in '/usr/bin/x' (build-id
 * 2a20..., stripped); searched /usr/lib/debug/.build-id/2a/20...debug, ...".
 * A file with only a handful of .dynsym entries is not an error here.
 */
struct syms *syms__load(const char *path, const struct syms_opts *opts, char *err,
			size_t errlen);
void syms__free(struct syms *syms);

const char *syms__path(const struct syms *syms);
const char *syms__build_id(const struct syms *syms); /* lowercase hex, or NULL */
size_t syms__count(const struct syms *syms);
const struct sym *syms__at(const struct syms *syms, size_t i); /* by address order */

/*
 * Resolve one probe-site spec:
 *   glob on demangled names without parameters (`*` `?` `[...]`), e.g.
 *       v8::internal::wasm::DecodeWasmModule, wasmtime::*CodeBuilder*::compile_module;
 *       with a '(' in it, it matches the full demangled signature instead;
 *   exact symbol-table name (mangled), e.g. _ZN4node15FreeEnvironmentEPNS_11EnvironmentE;
 *   NAME+OFF (OFF decimal or 0x hex), NAME being either of the above and unique;
 *   a raw address 0xADDR (only when expect_build_id equals the file's build-id).
 * Every matching function counts, compiler clones (.part.N .constprop.N .isra.N
 * .lto_priv.N) included, .cold fragments never; symbols at one address count
 * once. *out is an array of *n pointers into syms (free() the array only).
 * Returns 0 (possibly with *n == 0) or -errno (-EINVAL bad spec, -EPERM raw
 * address without a matching build-id); err says why.
 *
 * NAME+OFF and 0xADDR give one synthetic sym (vaddr and file_offset at the
 * address, name "NAME+OFF"), owned by syms. A mangled spec that is exactly a
 * symbol-table name means those symbols only; any other spec is also a glob
 * (so `foo` finds foo, foo.part.0 and foo.isra.0, and the C++ foo(int)).
 *
 * On success err is "" or a note: when several static functions share the
 * matched name (the "ambiguous static name" case, see syms__ambiguous()),
 * all are returned and err says so; the caller decides whether to warn.
 *
 * Not thread-safe: lookups demangle lazily into syms.
 */
int syms__resolve(const struct syms *syms, const char *spec, const char *expect_build_id,
		  const struct sym ***out, size_t *n, char *err, size_t errlen);

/* The symbol containing vaddr (start <= vaddr < start+size, or the nearest
 * sized-0 one before it), or NULL; *offset gets vaddr - start. */
const struct sym *syms__find(const struct syms *syms, uint64_t vaddr, uint64_t *offset);

/* The link-time address of a file offset, through the PT_LOAD that holds it. 0 or -ENOENT. */
int syms__vaddr_of_offset(const struct syms *syms, uint64_t file_offset, uint64_t *vaddr);
/* The ELF entry point (link-time address), 0 when unknown. */
uint64_t syms__entry(const struct syms *syms);
/* A frame's name: demangled without parameters or clone suffixes (Rust hashes dropped). */
const char *syms__short_name(const struct syms *syms, const struct sym *sym);

/* Up to max names (demangled) closest to spec, for "did you mean" hints; returns count. */
size_t syms__suggest(const struct syms *syms, const char *spec, const char **names, size_t max);

/*
 * How many different static (local) functions share one name in v, as
 * resolve returned it: 0 when none do, else the largest count (>= 2), and
 * note (if not NULL) names the files and addresses. Clones of one function
 * and aliases count once; definitions are told apart by their STT_FILE, or by
 * address when the file is unknown.
 */
size_t syms__ambiguous(const struct sym *const *v, size_t n, char *note, size_t notelen);

/* Whether spec (a glob, or a signature glob with '(') matches the symbol-table
 * name, as syms__resolve() decides it; .cold fragments never match. */
bool syms__match(const char *spec, const char *name);

/* Whether name is a .cold fragment (C foo.cold, foo.cold.12, C++ _Z...v.cold). */
bool syms__is_cold(const char *name);

/* Demangle one name (C++ Itanium, Rust legacy and v0), Rust hashes dropped; malloc'd, or NULL
 * when name is not mangled. */
char *syms__demangle(const char *name);

/*
 * The symbol cache's entries (symcache.h): whether s is whole and the file's
 * own (no debug file, nothing added since); s as one flat record for the
 * file whose identity hashes to key (malloc'd *buf); and back, checked
 * throughout (NULL for anything not a whole entry of key).
 */
bool syms__cacheable(const struct syms *s);
int syms__encode(const struct syms *s, uint64_t key, char **buf, size_t *len);
struct syms *syms__decode(const char *path, uint64_t key, const char *buf, size_t len);

#endif /* PHASEPROF_SYMS_H */
