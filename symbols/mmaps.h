/* SPDX-License-Identifier: MIT */
/*
 * mmaps.h: the memory maps of the runtime's processes, followed from exec to
 * exit through perf's MMAP2, COMM and FORK records (a dummy software event per
 * CPU, inherited by every thread and child). Frames are named after the
 * processes are gone, from what was mapped where while they ran.
 */
#ifndef PHASEPROF_MMAPS_H
#define PHASEPROF_MMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mapping {
	uint64_t start, end, pgoff;
	const char *path; /* "//anon" and "[vdso]" style names included */
	bool exec;
	/* the mapped file's device and inode (0 when unknown): what a reopen must find */
	uint64_t ino;
	uint32_t maj, min;
};

struct mmaps;

/* Follow pid (held before its exec) and its descendants. NULL with errno set. */
struct mmaps *mmaps__open(pid_t pid);
/* Follow nothing: maps come from mmaps__feed() only (tests, replays). NULL with errno set. */
struct mmaps *mmaps__new(void);
/* Take perf records (MMAP2, COMM, FORK, LOST; others are skipped) laid end to end in
 * buf[0..len); a record that is cut short or bigger than a ring's record ends the feed. */
void mmaps__feed(struct mmaps *m, const void *buf, size_t len);
/* The mappings pid has now, from /proc/PID/maps (tests, attaching to a running process);
 * anonymous ones are named "//anon" as perf names them. NULL with errno set. */
struct mmaps *mmaps__from_proc(pid_t pid);
/* Drain what the kernel wrote so far (call it often enough that nothing is lost). */
void mmaps__read(struct mmaps *m);
/* The mapping of addr in process pid, latest first; NULL when unknown. */
const struct mapping *mmaps__find(const struct mmaps *m, uint32_t pid, uint64_t addr);
uint64_t mmaps__lost(const struct mmaps *m);
/*
 * Open the file of a mapping by its name, never through a symlink or a FIFO,
 * and only if it is still the file that was mapped (device and inode, when
 * known): the target may have replaced it since. fd, or -errno (-ESTALE when
 * another file has the name now).
 */
int mapping__open(const struct mapping *map);
void mmaps__free(struct mmaps *m);

#endif /* PHASEPROF_MMAPS_H */
