// SPDX-License-Identifier: MIT
/*
 * timeline.c: trace.json and timeline.svg from the phase model's intervals
 * (see timeline.h). Both are written from the same intervals as phases.json,
 * so a thread's slices of a phase add up to its phase_ns there.
 */
#include <errno.h>
#include <string.h>
#include "flamegraph.h"
#include "json.h"
#include "profile.h"
#include "timeline.h"

/* ---- trace.json: the Chrome trace event format ---- */

static const char *process_comm(const struct run_stats *st, uint32_t tgid)
{
	for (size_t i = 0; i < st->nthreads; i++)
		if (st->threads[i].tid == tgid)
			return st->threads[i].comm;
	return NULL;
}

/* "M" events: the process and thread names Perfetto shows on the tracks. */
static void trace_names(struct json *j, const struct timeline_input *in)
{
	const struct run_stats *st = in->st;

	for (size_t i = 0; i < st->nthreads; i++) {
		const struct thread_stats *t = &st->threads[i];
		const char *pname = process_comm(st, t->tgid);
		bool leader = t->tid == t->tgid;

		for (int k = leader ? 0 : 1; k < 2; k++) {
			json_begin_object(j, NULL);
			json_string(j, "name", k ? "thread_name" : "process_name");
			json_string(j, "ph", "M");
			json_u64(j, "pid", t->tgid);
			json_u64(j, "tid", t->tid);
			json_begin_object(j, "args");
			json_string(j, "name", k || !pname ? t->comm : pname);
			json_end_object(j);
			json_end_object(j);
		}
	}
}

/* "X" events: one complete slice per interval of a thread in a phase. */
static void trace_slices(struct json *j, const struct run_stats *st)
{
	for (size_t i = 0; i < st->nthreads; i++) {
		const struct thread_stats *t = &st->threads[i];

		for (size_t k = 0; k < t->niv; k++) {
			json_begin_object(j, NULL);
			json_string(j, "name", phase__name(t->iv[k].phase));
			json_string(j, "cat", "phase");
			json_string(j, "ph", "X");
			json_ns_as_us(j, "ts", t->iv[k].start_ns);
			json_ns_as_us(j, "dur", t->iv[k].end_ns - t->iv[k].start_ns);
			json_u64(j, "pid", t->tgid);
			json_u64(j, "tid", t->tid);
			json_end_object(j);
		}
	}
}

/* "i" events: probe hits, thread-scoped; at most TIMELINE_MAX_INSTANTS. */
static uint64_t trace_instants(struct json *j, const struct timeline_input *in)
{
	const struct run_stats *st = in->st;
	uint64_t written = 0, dropped = 0;

	for (size_t i = 0; in->ev && i < in->nev; i++) {
		const struct pp_event *e = &in->ev[i];
		uint32_t site = pp_cookie_site(e->cookie);
		char name[300];

		if (e->type != PP_EV_SITE || e->ts < st->start_ts || e->ts > st->end_ts ||
		    !in->plan || site >= in->plan->nsites)
			continue;
		if (written == TIMELINE_MAX_INSTANTS) {
			dropped++;
			continue;
		}
		snprintf(name, sizeof(name), "%s%s", in->plan->sites[site].site->text,
			 pp_cookie_is_return(e->cookie) ? " (return)" : "");
		json_begin_object(j, NULL);
		json_string(j, "name", name);
		json_string(j, "cat", "probe");
		json_string(j, "ph", "i");
		json_string(j, "s", "t");
		json_ns_as_us(j, "ts", e->ts - st->start_ts);
		json_u64(j, "pid", e->tgid);
		json_u64(j, "tid", e->tid);
		json_end_object(j);
		written++;
	}
	return dropped;
}

int timeline__trace_json(FILE *f, const struct timeline_input *in)
{
	struct json j;
	uint64_t dropped_iv = 0, dropped_hits;

	json_init(&j, f, false);
	json_begin_object(&j, NULL);
	json_begin_array(&j, "traceEvents");
	trace_names(&j, in);
	trace_slices(&j, in->st);
	dropped_hits = trace_instants(&j, in);
	json_end_array(&j);
	json_string(&j, "displayTimeUnit", "ms");
	for (size_t i = 0; i < in->st->nthreads; i++)
		dropped_iv += in->st->threads[i].iv_dropped;
	json_begin_object(&j, "otherData");
	json_string(&j, "producer", "phaseprof " PHASEPROF_VERSION);
	json_string(&j, "runtime", in->title);
	json_u64(&j, "intervals_dropped", dropped_iv);
	json_u64(&j, "probe_hits_dropped", dropped_hits);
	json_end_object(&j);
	json_end_object(&j);
	json_finish(&j);
	return ferror(f) ? -EIO : 0;
}

/* ---- timeline.svg: one row per thread ---- */

#define SVG_WIDTH 1200
#define SVG_LABEL 220 /* thread names, left of the bars */
#define SVG_PAD 10
#define SVG_TOP 54 /* title and time axis */
#define SVG_ROW 20
#define SVG_BAR 16
#define SVG_LEGEND 30

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '&')
			fputs("&amp;", f);
		else if (c == '"')
			fputs("&quot;", f);
		else if (c < 0x20 || c >= 0x7f)
			fputc('?', f); /* comm names are bytes, not UTF-8 */
		else
			fputc(c, f);
	}
}

static unsigned phase_rgb(int phase)
{
	unsigned rgb;

	/* unknown has no frame colour: a neutral one not used by any phase */
	return flame_phase_rgb(phase__name(phase), &rgb) ? 0xe0c060 : rgb;
}

/* A round step for about ten ticks: 1, 2 or 5 times a power of ten, in ns. */
static uint64_t tick_step(uint64_t wall)
{
	uint64_t raw = wall / 10, p = 1;

	while (p * 10 <= raw)
		p *= 10;
	return raw >= 5 * p ? 5 * p : raw >= 2 * p ? 2 * p : p;
}

static double x_of(uint64_t ns, uint64_t wall)
{
	return SVG_LABEL + (double)ns * (SVG_WIDTH - SVG_LABEL - SVG_PAD) / (wall ? wall : 1);
}

static void svg_axis(FILE *f, uint64_t wall, size_t rows)
{
	uint64_t step = tick_step(wall);
	int bottom = SVG_TOP + (int)rows * SVG_ROW;

	for (uint64_t t = 0; t <= wall; t += step) {
		double x = x_of(t, wall);

		fprintf(f, "<line class=\"tick\" x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\"/>\n",
			x, SVG_TOP - 6, x, bottom);
		fprintf(f, "<text class=\"axis\" x=\"%.2f\" y=\"%d\">%g ms</text>\n", x,
			SVG_TOP - 10, t / 1e6);
	}
}

static void svg_row(FILE *f, const struct thread_stats *t, size_t row, uint64_t wall)
{
	int y = SVG_TOP + (int)row * SVG_ROW;

	fprintf(f, "<g class=\"thread\" data-tid=\"%u\" data-pid=\"%u\">\n", t->tid, t->tgid);
	fprintf(f, "<text class=\"label\" x=\"%d\" y=\"%d\">", SVG_PAD, y + SVG_BAR - 4);
	xml_text(f, t->comm);
	fprintf(f, " (%u)</text>\n", t->tid);
	for (size_t k = 0; k < t->niv; k++) {
		const struct phase_interval *iv = &t->iv[k];
		double x0 = x_of(iv->start_ns, wall), x1 = x_of(iv->end_ns, wall);

		fprintf(f,
			"<rect class=\"iv\" data-phase=\"%s\" x=\"%.3f\" y=\"%d\" width=\"%.3f\" "
			"height=\"%d\" fill=\"#%06x\"><title>",
			phase__name(iv->phase), x0, y, x1 - x0, SVG_BAR, phase_rgb(iv->phase));
		xml_text(f, t->comm);
		fprintf(f, " (%u): %s %.3f to %.3f ms (%.3f ms)</title></rect>\n", t->tid,
			phase__name(iv->phase), iv->start_ns / 1e6, iv->end_ns / 1e6,
			(iv->end_ns - iv->start_ns) / 1e6);
	}
	if (t->iv_dropped)
		fprintf(f,
			"<text class=\"dropped\" x=\"%d\" y=\"%d\">+%llu intervals not shown"
			"</text>\n",
			SVG_WIDTH - SVG_PAD, y + SVG_BAR - 4, (unsigned long long)t->iv_dropped);
	fputs("</g>\n", f);
}

/* The colours of the phases the picture shows. */
static void svg_legend(FILE *f, const struct run_stats *st, int y)
{
	bool used[PP_PHASE_COUNT] = { false };
	int x = SVG_LABEL;

	for (size_t i = 0; i < st->nthreads; i++)
		for (size_t k = 0; k < st->threads[i].niv; k++)
			used[st->threads[i].iv[k].phase] = true;
	for (int p = 0; p < PP_PHASE_COUNT; p++) {
		if (!used[p])
			continue;
		fprintf(f,
			"<rect class=\"key\" x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
			"fill=\"#%06x\"/><text class=\"label\" x=\"%d\" y=\"%d\">%s</text>\n",
			x, y, phase_rgb(p), x + 16, y + 10, phase__name(p));
		x += 30 + 8 * (int)strlen(phase__name(p));
	}
}

int timeline__svg(FILE *f, const struct timeline_input *in)
{
	const struct run_stats *st = in->st;
	int height = SVG_TOP + (int)st->nthreads * SVG_ROW + SVG_LEGEND;

	fprintf(f,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n",
		SVG_WIDTH, height, SVG_WIDTH, height);
	fputs("<style>text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000 }\n"
	      ".axis { font-size: 10px; text-anchor: middle; fill: #555 }\n"
	      ".tick { stroke: #ddd }\n.dropped { text-anchor: end; font-size: 10px }\n"
	      "rect.iv:hover { stroke: #000; stroke-width: 1 }</style>\n",
	      f);
	fprintf(f,
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
		"<text x=\"%d\" y=\"20\" style=\"font-size: 16px\">",
		SVG_PAD);
	xml_text(f, in->title ? in->title : "phaseprof");
	fprintf(f, ": phases per thread, %.3f ms</text>\n", st->wall_ns / 1e6);
	svg_axis(f, st->wall_ns, st->nthreads);
	for (size_t i = 0; i < st->nthreads; i++)
		svg_row(f, &st->threads[i], i, st->wall_ns);
	svg_legend(f, st, height - SVG_LEGEND + 8);
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}
