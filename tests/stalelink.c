// SPDX-License-Identifier: MIT
/*
 * stalelink.c: a stand-in for an earlier run's uprobe link that is still
 * coming down (test_bpf_cache.py). Links a kept pp_site_multi program on
 * one function entry with a cookie (site 0, phase load, push) of the given
 * generation, says "linked" and holds the link until stdin closes.
 *
 *   stalelink PINNED_PROG BINARY OFFSET GENERATION
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "phaseprof.h"
#include "uprobe_multi.h"

int main(int argc, char **argv)
{
	__u64 offset, cookie;
	int prog, link;
	char buf[16];

	if (argc != 5) {
		fprintf(stderr, "usage: stalelink PINNED_PROG BINARY OFFSET GENERATION\n");
		return 2;
	}
	offset = strtoull(argv[3], NULL, 0);
	cookie = pp_cookie_with_gen(pp_cookie(0, PP_PHASE_LOAD, PP_ACT_PUSH, 0),
				    (__u32)strtoul(argv[4], NULL, 0));
	prog = bpf_obj_get(argv[1]);
	if (prog < 0) {
		fprintf(stderr, "stalelink: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	link = uprobe_multi_link(prog, argv[2], &offset, &cookie, 1, false);
	if (link < 0) {
		fprintf(stderr, "stalelink: cannot link on %s: %s\n", argv[2], strerror(-link));
		return 1;
	}
	printf("linked\n");
	fflush(stdout);
	while (fgets(buf, sizeof(buf), stdin))
		;
	return 0;
}
