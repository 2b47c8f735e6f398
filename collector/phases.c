// SPDX-License-Identifier: MIT
/* phases.c: stub, being written */
