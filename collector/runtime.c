// SPDX-License-Identifier: MIT
/* runtime.c: stub, being written */
