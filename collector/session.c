// SPDX-License-Identifier: MIT
/* session.c: stub, being written */
