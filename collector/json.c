// SPDX-License-Identifier: MIT
/* json.c: stub, being written */
