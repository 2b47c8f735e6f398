// SPDX-License-Identifier: MIT
/*
 * color.c: palettes. The families follow flamegraph.pl's so its users read
 * our graphs the same way (hot for CPU, mem greens, io blues, java/js by
 * frame annotation), plus "wasm". Phase frames have fixed colours (mostly
 * from the Okabe-Ito colour-blind-safe set), the same in every graph.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fg_internal.h"
#include "phase_names.h"

const char *const fg_palette_names[FLAME_PAL_NR] = {
	[FLAME_PAL_HOT] = "hot",       [FLAME_PAL_MEM] = "mem",       [FLAME_PAL_IO] = "io",
	[FLAME_PAL_JAVA] = "java",     [FLAME_PAL_JS] = "js",         [FLAME_PAL_WASM] = "wasm",
	[FLAME_PAL_GREEN] = "green",   [FLAME_PAL_BLUE] = "blue",     [FLAME_PAL_AQUA] = "aqua",
	[FLAME_PAL_YELLOW] = "yellow", [FLAME_PAL_PURPLE] = "purple", [FLAME_PAL_ORANGE] = "orange",
	[FLAME_PAL_RED] = "red",
};

/*
 * By enum pp_phase, which is run order: the order sibling phase frames are
 * placed in. None inside the hot palette's range (red >= 205, blue <= 55).
 */
static const struct fg_rgb phase_colors[PP_PHASE_COUNT] = {
	[PP_PHASE_STARTUP] = { 180, 180, 180 },     /* light grey */
	[PP_PHASE_LOAD] = { 86, 180, 233 },         /* sky blue */
	[PP_PHASE_COMPILE] = { 0, 158, 115 },       /* bluish green */
	[PP_PHASE_INSTANTIATE] = { 0, 114, 178 },   /* blue */
	[PP_PHASE_EXECUTE] = { 204, 121, 167 },     /* reddish purple */
	[PP_PHASE_TEARDOWN] = { 130, 130, 130 },    /* grey */
	[PP_PHASE_UNKNOWN] = { 160, 140, 200 },     /* the generic fallback's: lavender */
};

int flame_palette_parse(const char *name, enum flame_palette *pal)
{
	for (int i = 0; i < FLAME_PAL_NR; i++) {
		if (!strcmp(name, fg_palette_names[i])) {
			*pal = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* A "[phase]" frame: its enum pp_phase, or -1. */
int fg_phase_index(const char *name, size_t len)
{
	if (len < 3 || name[0] != '[' || name[len - 1] != ']')
		return -1;
	for (int i = 0; i < PP_PHASE_COUNT; i++) {
		const char *p = pp_phase_name(i);

		if (strlen(p) == len - 2 && !memcmp(p, name + 1, len - 2))
			return i;
	}
	return -1;
}

struct fg_rgb fg_phase_color(int phase)
{
	return phase_colors[phase];
}

int flame_phase_rgb(const char *phase, unsigned *rgb)
{
	char frame[32];
	int n = snprintf(frame, sizeof(frame), "[%s]", phase);
	int i = n > 0 && (size_t)n < sizeof(frame) ? fg_phase_index(frame, n) : -1;

	if (i < 0)
		return -ENOENT;
	*rgb = (unsigned)phase_colors[i].r << 16 | (unsigned)phase_colors[i].g << 8 | phase_colors[i].b;
	return 0;
}

/* the annotation letter of "name_[x]", or 0 */
static char annotation(const char *name, size_t len)
{
	if (len >= 4 && name[len - 4] == '_' && name[len - 3] == '[' && name[len - 1] == ']')
		return name[len - 2];
	return 0;
}

size_t fg_display_len(const char *name, size_t len)
{
	char a = annotation(name, len);

	return a == 'k' || a == 'j' || a == 'i' || a == 'w' ? len - 4 : len;
}

static bool has(const char *name, size_t len, const char *what)
{
	return memmem(name, len, what, strlen(what)) != NULL;
}

/* a language-aware palette picks a family from the name */
static enum flame_palette family(enum flame_palette pal, const char *name, size_t len)
{
	char a = annotation(name, len);

	if (a == 'k')
		return FLAME_PAL_ORANGE;
	if (a == 'i')
		return FLAME_PAL_AQUA;
	switch (pal) {
	case FLAME_PAL_JAVA:
		if (a == 'j' || has(name, len, "/") || has(name, len, "."))
			return FLAME_PAL_GREEN;
		return has(name, len, "::") ? FLAME_PAL_YELLOW : FLAME_PAL_RED;
	case FLAME_PAL_JS:
		if (a == 'j' || has(name, len, ".js") || has(name, len, "/"))
			return FLAME_PAL_GREEN;
		return has(name, len, "::") ? FLAME_PAL_YELLOW : FLAME_PAL_RED;
	case FLAME_PAL_WASM:
		/* guest code (JIT output) purple, the compiler blue, the runtime yellow */
		if (a == 'j' || a == 'w' || has(name, len, "wasm-function") ||
		    has(name, len, "wasm_func") || !strncmp(name, "wasm[", 5))
			return FLAME_PAL_PURPLE;
		if (has(name, len, "cranelift") || has(name, len, "llvm") ||
		    has(name, len, "compile") || has(name, len, "winch"))
			return FLAME_PAL_BLUE;
		return has(name, len, "::") ? FLAME_PAL_YELLOW : FLAME_PAL_RED;
	default:
		return pal;
	}
}

static uint8_t lerp(int lo, int span, double v)
{
	return (uint8_t)(lo + span * v);
}

struct fg_rgb fg_frame_color(enum flame_palette pal, const char *name, size_t len, uint32_t seed)
{
	/* three shades from the seed, each in [0, 1) */
	double v1 = (seed & 0x3ff) / 1024.0;
	double v2 = ((seed >> 10) & 0x3ff) / 1024.0;
	double v3 = ((seed >> 20) & 0x3ff) / 1024.0;
	struct fg_rgb c;

	switch (family(pal, name, len)) {
	case FLAME_PAL_MEM:
		c = (struct fg_rgb){ 0, lerp(190, 50, v2), lerp(0, 210, v1) };
		break;
	case FLAME_PAL_IO:
		c.r = c.g = lerp(80, 60, v1);
		c.b = lerp(190, 55, v2);
		break;
	case FLAME_PAL_RED:
		c.r = lerp(200, 55, v1);
		c.g = c.b = lerp(50, 80, v1);
		break;
	case FLAME_PAL_GREEN:
		c.g = lerp(200, 55, v1);
		c.r = c.b = lerp(50, 60, v1);
		break;
	case FLAME_PAL_BLUE:
		c.b = lerp(205, 50, v1);
		c.r = c.g = lerp(80, 60, v1);
		break;
	case FLAME_PAL_AQUA:
		c.r = lerp(50, 60, v1);
		c.g = c.b = lerp(165, 55, v1);
		break;
	case FLAME_PAL_YELLOW:
		c.r = c.g = lerp(175, 55, v1);
		c.b = lerp(50, 20, v1);
		break;
	case FLAME_PAL_PURPLE:
		c.r = c.b = lerp(190, 65, v1);
		c.g = lerp(80, 60, v1);
		break;
	case FLAME_PAL_ORANGE:
		c = (struct fg_rgb){ lerp(190, 65, v1), lerp(90, 65, v1), 0 };
		break;
	default: /* hot */
		c = (struct fg_rgb){ lerp(205, 50, v3), lerp(0, 230, v1), lerp(0, 55, v2) };
		break;
	}
	return c;
}

struct fg_rgb fg_diff_color(double delta)
{
	double s = delta < 0 ? -delta : delta;
	uint8_t v;

	if (s > 1)
		s = 1;
	v = (uint8_t)(245 * (1 - s) + 0.5);
	if (delta > 0)
		return (struct fg_rgb){ 255, v, v };
	if (delta < 0)
		return (struct fg_rgb){ v, v, 255 };
	return (struct fg_rgb){ 245, 245, 245 };
}
