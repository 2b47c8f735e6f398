// SPDX-License-Identifier: MIT
/* syms.c: stub, being written */
