// SPDX-License-Identifier: MIT
/* tracefs.c: stub, being written */
