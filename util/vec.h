/* SPDX-License-Identifier: MIT */
/* vec.h: growing arrays, one way. */
#ifndef PHASEPROF_VEC_H
#define PHASEPROF_VEC_H

#include <stdlib.h>

/*
 * Room for element n of the array v, which holds *cap of elem bytes: v itself
 * while n < *cap, else v reallocated to twice the size (first when empty) with
 * *cap updated. NULL when out of memory; v is then untouched and still owned.
 */
static inline void *vec_grow(void *v, size_t n, size_t *cap, size_t elem, size_t first)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : first;
	nv = realloc(v, ncap * elem);
	if (nv)
		*cap = ncap;
	return nv;
}

#endif /* PHASEPROF_VEC_H */
