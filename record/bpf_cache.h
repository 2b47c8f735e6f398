/* SPDX-License-Identifier: MIT */
/*
 * bpf_cache.h: the BPF program cache. Loading phaseprof's programs (the
 * kernel's BTF parsed, every program verified, every map made) is most of a
 * short run's fixed cost, so a run keeps what it loaded, pinned in bpffs:
 *
 *   PHASEPROF_BPF_CACHE_DIR (default /sys/fs/bpf/phaseprof)/OBJECT/CONFIG/SLOT/
 *       prog.NAME, map.NAME
 *
 * OBJECT is a hash of the BPF object, CONFIG what the load depended on (the
 * sampling mode, the ring sizes, the optional programs), SLOT one complete
 * instance. The next run with the same object and config reuses an instance
 * instead of loading one. An instance serves one run at a time: a run holds
 * flock() on its slot's directory from the claim until its keeper has closed
 * the links and emptied the maps, so concurrent runs never share a map, and
 * a claimed instance is checked to have no link left. Kept programs are
 * attached to nothing. Only root's (mode 0700), only when phaseprof runs as
 * root; `phaseprof cache drop` removes it all.
 */
#ifndef PHASEPROF_BPF_CACHE_H
#define PHASEPROF_BPF_CACHE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct bpf_object;
struct json;

#define BPF_CACHE_DIR "/sys/fs/bpf/phaseprof"
/* instances per object and config: concurrent runs beyond it load their own */
#define BPF_CACHE_SLOTS 2
/* instances in all: past it, the least recently used idle ones go (their maps hold memory) */
#define BPF_CACHE_MAX_INSTANCES 6
/* programs of one object, at most (phaseprof.bpf.c has 14) */
#define BPF_CACHE_MAX_PROGS 32

struct bpf_cache_slot {
	int fd; /* the slot's directory, flock()ed; -1: none claimed */
	char path[PATH_MAX];
	char object[32]; /* OBJECT: the build's */
};

/* The cache's directory (PHASEPROF_BPF_CACHE_DIR, or the default); "" turns it off. */
const char *bpf_cache__dir(void);
/*
 * Claim a free slot for object (a hash, hex) and config: 0 with slot->fd
 * locked, or -errno (no cache here, or every slot busy: load afresh, keep
 * nothing). Said with -v.
 */
int bpf_cache__claim(struct bpf_cache_slot *slot, const char *object, const char *config);
/*
 * Take the slot's instance into obj, opened and not loaded, configured as for
 * its load: obj's maps become the kept maps (their .data and .bss mapped
 * where the skeleton reads them), and prog_fds[i] (BPF_CACHE_MAX_PROGS of
 * them) the kept program of obj's i-th program that would load (-1 for the
 * others). Every map emptied. 0, or -errno when the slot holds no complete,
 * matching, unattached instance: then obj may be half taken, and is no use
 * for a load (open it again). Links to the programs named in stale_ok
 * (NULL-terminated) do not count as attached: they tell runs apart themselves.
 */
int bpf_cache__adopt(struct bpf_cache_slot *slot, struct bpf_object *obj, int *prog_fds,
		     const char *const *stale_ok);
/* Pin obj's loaded programs and maps into the slot, emptied first. 0 or -errno. */
int bpf_cache__keep(struct bpf_cache_slot *slot, struct bpf_object *obj);
/*
 * Empty obj's maps for the next run: hash and stack maps, per-CPU counters.
 * Only system calls: safe in the keeper (a fork of a threaded process).
 */
void bpf_cache__empty_maps(struct bpf_object *obj);
/* Let go of the slot (a keeper that inherited it may still hold the lock). */
void bpf_cache__release(struct bpf_cache_slot *slot);

/*
 * `phaseprof cache`: every kept instance, its programs, maps and locked
 * memory, and whether a run holds it: a line each on out, or (j) an object
 * each into j's open array. How many.
 */
unsigned bpf_cache__list(FILE *out, struct json *j);
/* Remove every instance no run holds; *busy: those left because a run holds them. */
int bpf_cache__drop(unsigned *dropped, unsigned *busy);

#endif /* PHASEPROF_BPF_CACHE_H */
