/* SPDX-License-Identifier: MIT */
/* sorted.h: binary search in arrays sorted by a leading uint64_t key */
#ifndef PHASEPROF_SORTED_H
#define PHASEPROF_SORTED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Among n sorted elements of size elem, each starting with its uint64_t key:
 * the last with key <= addr, as its index + 1; 0 when none.
 */
static inline size_t sorted_upto(const void *v, size_t n, size_t elem, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t key;

		memcpy(&key, (const char *)v + mid * elem, sizeof(key));
		if (key <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif /* PHASEPROF_SORTED_H */
