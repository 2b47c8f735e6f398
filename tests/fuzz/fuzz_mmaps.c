// SPDX-License-Identifier: MIT
/*
 * fuzz_mmaps.c: libFuzzer over the perf-record parser of mmaps.c. The input is
 * a sequence of perf records (MMAP2, COMM, FORK, LOST, anything else), as the
 * kernel writes them to the ring; then the maps are looked up.
 */
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mmaps *m = mmaps__new();
	uint32_t pids[4] = { 0, 1 };
	uint64_t addrs[4] = { 0, UINT64_MAX, 0x400000 };

	if (!m)
		abort();
	mmaps__feed(m, data, size);
	/* the pid and address fields of the first record, whatever it is */
	if (size >= sizeof(struct perf_event_header) + 16) {
		memcpy(&pids[2], data + 8, 4);
		memcpy(&pids[3], data + 12, 4);
		memcpy(&addrs[3], data + 16, 8);
	}
	for (size_t i = 0; i < 4; i++) {
		for (size_t j = 0; j < 4; j++) {
			const struct mapping *map = mmaps__find(m, pids[i], addrs[j]);

			if (map && (!map->path || addrs[j] < map->start || addrs[j] >= map->end))
				abort();
		}
	}
	mmaps__lost(m);
	mmaps__free(m);
	return 0;
}
