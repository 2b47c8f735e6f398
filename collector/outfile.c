// SPDX-License-Identifier: MIT
/* outfile.c: stub, being written */
