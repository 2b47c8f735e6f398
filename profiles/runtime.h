/* SPDX-License-Identifier: MIT */
/*
 * runtime.h: the runtime binary and the process that runs it: finding it on
 * PATH, checking it is an ELF executable, its build-id and version, and
 * dropping root for it under sudo (the target never needs privileges).
 */
#ifndef PHASEPROF_RUNTIME_H
#define PHASEPROF_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

/* A name is looked up on PATH, a string with a '/' is taken as a path.
 * 0 with path filled (absolute, symlinks resolved), or -ENOENT / -EACCES. */
int runtime_locate(const char *spec, char *path, size_t len);
/* 0 for an ELF file, -ENOEXEC with why (script, not ELF, wrong class), -errno. */
int runtime_check_elf(const char *path, char *why, size_t len);
/* Lowercase hex build-id into hex (>= 41 bytes); -ENODATA when none. */
int elf_build_id(const char *path, char *hex, size_t len);
/* The same, of an open file. */
int elf_build_id_fd(int fd, char *hex, size_t len);
/* First line the command prints on stdout (run unprivileged, 5 s limit), or -errno. */
int runtime_version(char *const argv[], char *out, size_t len);
/* Under sudo, become the invoking user (SUDO_UID/SUDO_GID); else nothing. 0 or -errno. */
int drop_to_invoking_user(void);
/* Whether we may load BPF and open perf events: root, or CAP_BPF and CAP_PERFMON. */
int have_bpf_privileges(void);
/* Find a library by name (libfoo.so or libfoo) near the runtime and on the
 * usual paths; 0 with path filled, or -ENOENT. */
int library_locate(const char *name, const char *runtime_path, char *path, size_t len);

/* How a binary's functions keep their frames, for choosing how to unwind it. */
struct frame_info {
	bool has_cfi;        /* .eh_frame or .debug_frame */
	size_t functions;    /* functions looked at (a sample of them in a big binary) */
	size_t with_frame_pointer; /* of those, how many set up rbp on entry */
};

int elf_frame_info(const char *path, struct frame_info *fi);

#endif /* PHASEPROF_RUNTIME_H */
