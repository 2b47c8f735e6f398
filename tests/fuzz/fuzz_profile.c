// SPDX-License-Identifier: MIT
/*
 * fuzz_profile.c: libFuzzer over the probe-file parser (profile.c). A probe
 * file can come from any directory in PHASEPROF_PROBES_PATH and is parsed as
 * root; whatever parses is then expanded as record would expand it.
 */
#include <stdint.h>
#include <stdlib.h>
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[] = { "a.wasm", "--flag", NULL };
	struct profile *p = NULL;
	char err[256], **argv;
	size_t n;

	if (profile__parse_text("/fuzz/x.probe", (const char *)data, size, &p, err, sizeof(err)))
		return 0;
	if (!p)
		abort();
	if (!profile__expand_argv(p, "/usr/bin/rt", args, 2, &argv, &n))
		profile__free_argv(argv);
	if (!profile__expand_version(p, "/usr/bin/rt", &argv, &n))
		profile__free_argv(argv);
	for (size_t i = 0; i < p->noptions; i++)
		if (profile__option(p, p->options[i].name) != &p->options[i] &&
		    !profile__option(p, p->options[i].name))
			abort();
	profile__free(p);
	return 0;
}
