// SPDX-License-Identifier: MIT
/* profile.c: stub, being written */
