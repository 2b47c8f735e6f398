/* SPDX-License-Identifier: MIT */
/* hash.h: one hash for every table and cache key, 64-bit FNV-1a. */
#ifndef PHASEPROF_HASH_H
#define PHASEPROF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_INIT 1469598103934665603ULL

/* Go on hashing n bytes at p from h (FNV1A_INIT to start). */
static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

static inline uint64_t fnv1a_str(uint64_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

#endif /* PHASEPROF_HASH_H */
