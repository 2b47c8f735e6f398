// SPDX-License-Identifier: MIT
/* options.c: option tables, see options.h */
#include <string.h>
#include "options.h"

void options_build(const struct opt_doc *docs, struct option *longopts, char *shortopts,
		   size_t shortlen)
{
	size_t n = 0, s = 0;

	shortopts[s++] = '+'; /* stop at the first non-option: the runtime's arguments */
	shortopts[s++] = ':';
	for (; docs[n].name; n++) {
		longopts[n] = (struct option){ docs[n].name,
					       docs[n].arg ? required_argument : no_argument, NULL,
					       docs[n].val };
		if (docs[n].val < 256 && s + 3 < shortlen) {
			shortopts[s++] = (char)docs[n].val;
			if (docs[n].arg)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){ 0 };
	shortopts[s] = '\0';
}

void options_help(FILE *f, const char *usage, const struct opt_doc *docs, const char *examples)
{
	fputs(usage, f);
	fputs("\noptions:\n", f);
	for (; docs->name; docs++) {
		char left[64];

		if (docs->val < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", docs->val, docs->name,
				 docs->arg ? " " : "", docs->arg ? docs->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", docs->name, docs->arg ? " " : "",
				 docs->arg ? docs->arg : "");
		fprintf(f, "  %-26s %s\n", left, docs->help);
	}
	if (examples)
		fprintf(f, "\n%s", examples);
}
