/* SPDX-License-Identifier: MIT */
/* suite_report.h: the report's printers (suite_report.c, suite_html.c) and shared helpers. */
#ifndef PHASEPROF_SUITE_REPORT_H
#define PHASEPROF_SUITE_REPORT_H

#include <stdio.h>
#include "suite_analysis.h"

enum report_format { FMT_TABLE, FMT_JSON, FMT_CSV, FMT_HTML };

/* DIR (its results.sqlite) or a .sqlite file, opened for reading. 0, or an exit code after saying
 * why. */
int suite_open_results(const char *where, struct store *st, char *path, size_t len);
void report_html(FILE *f, const struct analysis *a, const char *title);

#endif /* PHASEPROF_SUITE_REPORT_H */
