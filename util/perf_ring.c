// SPDX-License-Identifier: MIT
/* perf_ring.c: perf_event_open(2) and its ring buffers, see perf_ring.h */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "perf_ring.h"

int perf_event_fd(struct perf_event_attr *attr, pid_t pid, int cpu)
{
	int fd = (int)syscall(SYS_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void perf_ring_drain(void *base, size_t page, size_t size, perf_record_fn fn, void *ctx)
{
	struct perf_event_mmap_page *meta = base;
	const char *data = (const char *)base + page;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;
	/* a record's size is 16 bits: any fits */
	static __thread union {
		struct perf_event_header h;
		char bytes[1 << 16];
	} rec;

	while (tail + sizeof(struct perf_event_header) <= head) {
		size_t off = tail & (size - 1), len, first;

		/* records are 8-byte aligned and the ring a multiple of 8: a header never wraps */
		len = ((const struct perf_event_header *)(data + off))->size;
		if (len < sizeof(rec.h) || tail + len > head)
			break;
		first = size - off < len ? size - off : len;
		memcpy(rec.bytes, data + off, first);
		memcpy(rec.bytes + first, data, len - first);
		fn(ctx, &rec.h);
		tail += len;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}
