// SPDX-License-Identifier: MIT
/* report.c: stub, being written */
