// SPDX-License-Identifier: MIT
/*
 * suite_html.c: report.html of `phaseprof suite report --format html`: one
 * self-contained page (inline style and script, no network): the ranking,
 * the exclusions, and per case a bar per runtime and phase with its spread,
 * links to flame graphs when the runs have them; a search box and sortable
 * columns. Every string from the results is HTML-escaped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "suite_report.h"

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3;cursor:pointer;user-select:none}"
    "th[data-dir=asc]::after{content:' \\25b2'}th[data-dir=desc]::after{content:' \\25bc'}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".sig{color:#b00;font-weight:600}.excl{color:#888}"
    ".bar{position:relative;height:14px;background:#eee;width:220px}"
    ".fill{position:absolute;top:0;bottom:0;left:0;background:#4a8fd6}"
    ".fill.slow{background:#d6584a}"
    ".ci{position:absolute;top:6px;height:2px;background:#111}"
    "#search{font-size:1em;padding:4px;width:20em}";

/* The sort and the search: written for this page, no library. */
static const char script[] =
    "(function(){\n"
    "function val(td){var v=td.getAttribute('data-v');if(v!==null)return parseFloat(v);"
    "return td.textContent.trim().toLowerCase();}\n"
    "document.querySelectorAll('table.sortable').forEach(function(t){\n"
    " t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){\n"
    "  var asc=th.getAttribute('data-dir')!=='asc',b=t.tBodies[0];\n"
    "  t.querySelectorAll('th').forEach(function(h){h.removeAttribute('data-dir');});\n"
    "  th.setAttribute('data-dir',asc?'asc':'desc');\n"
    "  Array.prototype.slice.call(b.rows).sort(function(x,y){var "
    "p=val(x.cells[i]),q=val(y.cells[i]);\n"
    "   var c=p<q?-1:p>q?1:0;return asc?c:-c;}).forEach(function(r){b.appendChild(r);});\n"
    " });});\n"
    "});\n"
    "var q=document.getElementById('search');\n"
    "q.addEventListener('input',function(){var s=q.value.toLowerCase();\n"
    " document.querySelectorAll('[data-case]').forEach(function(e){\n"
    "  var k=(e.getAttribute('data-case')+' '+(e.getAttribute('data-rt')||'')).toLowerCase();\n"
    "  e.style.display=!s||k.indexOf(s)>=0?'':'none';});\n"
    "});\n"
    "})();\n";

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
}

static void ranking(FILE *f, const struct analysis *a)
{
	fprintf(
	    f,
	    "<h2>Ranking</h2><p>WarpDiff: each case's vector of runtime medians (%s %s time) "
	    "normalised to unit length; cases ranked by the distance to the mean of those vectors. "
	    "%zu runtimes take part.</p>\n",
	    a->cpu ? "cpu" : "wall", suite__stat_name(a->metric), a->nused);
	fprintf(f, "<table id=ranking class=sortable><thead><tr><th>rank</th><th>case</th>"
		   "<th>distance</th><th>slow runtime</th><th>&times; usual</th><th>phase</th>"
		   "<th>extra ms</th><th>p</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < a->nrank; i++) {
		const struct ranked_case *rc = &a->rank[i];
		const char *name = a->d->cases[rc->c].name;

		fprintf(f, "<tr data-case=\"");
		esc(f, name);
		fprintf(f, "\"><td class=n data-v=%zu>%zu</td><td><a href=\"#case-", i + 1, i + 1);
		esc(f, name);
		fprintf(f, "\">");
		esc(f, name);
		fprintf(f, "</a></td><td class=n data-v=%.6f>%.4f</td><td>", rc->dist, rc->dist);
		esc(f, a->d->rts[rc->slow]);
		fprintf(f,
			"</td><td class=n data-v=%.6f>%.3f</td><td>%s</td><td class=n "
			"data-v=%.6f>%.2f</td>"
			"<td class=\"n%s\" data-v=%.6f>%.4f</td></tr>\n",
			rc->ratio, rc->ratio, rc->phase >= 0 ? suite__stat_name(rc->phase) : "-",
			rc->extra_ms, rc->extra_ms, rc->significant ? " sig" : "", rc->p, rc->p);
	}
	fprintf(f, "</tbody></table>\n");
}

static void exclusions(FILE *f, const struct analysis *a)
{
	fprintf(f, "<h2>Excluded</h2><table id=exclusions class=sortable><thead><tr><th>case</th>"
		   "<th>runtime</th><th>why</th></tr></thead><tbody>\n");
	for (size_t c = 0; c < a->d->ncases; c++)
		for (size_t r = 0; r < a->d->nrts; r++) {
			const struct cell *cl = analysis__cell(a, c, r);

			if (!cl->excluded[0])
				continue;
			fprintf(f, "<tr data-case=\"");
			esc(f, a->d->cases[c].name);
			fprintf(f, "\" data-rt=\"");
			esc(f, a->d->rts[r]);
			fprintf(f, "\"><td>");
			esc(f, a->d->cases[c].name);
			fprintf(f, "</td><td>");
			esc(f, a->d->rts[r]);
			fprintf(f, "</td><td>");
			esc(f, cl->excluded);
			fprintf(f, "</td></tr>\n");
		}
	fprintf(f, "</tbody></table>\n");
}

/* A run's flame graph, linked relative to DIR (its folder is DIR/runs/...), when it has one. */
static void flame_link(FILE *f, const struct analysis *a, size_t c, size_t r)
{
	char path[4200];
	struct stat sb;

	for (size_t i = 0; i < a->d->nruns; i++) {
		const struct srun *run = &a->d->runs[i];
		const char *rel = run->dir ? strstr(run->dir, "/runs/b") : NULL;

		if (run->c != c || run->r != r || !rel)
			continue;
		snprintf(path, sizeof(path), "%s/flamegraph.svg", run->dir);
		if (stat(path, &sb))
			continue;
		fprintf(f, " <a href=\"");
		esc(f, rel + 1);
		fprintf(f, "/flamegraph.svg\">flame graph</a>");
		return;
	}
}

/* The drill-down's differential flame graph of a ranked case: DIR/drill/bBATCH/CASE/diff-PHASE.svg.
 */
static void drill_link(FILE *f, const struct analysis *a, const struct ranked_case *rc)
{
	char path[4400];
	struct stat sb;

	for (size_t i = 0; rc && rc->phase >= 0 && i < a->d->nruns; i++) {
		const struct srun *run = &a->d->runs[i];
		const char *runs = run->dir ? strstr(run->dir, "/runs/b") : NULL;

		if (run->c != rc->c || !runs)
			continue;
		snprintf(path, sizeof(path), "%.*s/drill/b%" PRId64 "/%s/diff-%s.svg",
			 (int)(runs - run->dir), run->dir, run->batch, a->d->cases[rc->c].name,
			 suite__stat_name(rc->phase));
		if (stat(path, &sb))
			return;
		fprintf(f, "<p><a href=\"");
		esc(f, strstr(path, "/drill/b") + 1);
		fprintf(f, "\">differential flame graph of the %s phase</a> (drill-down)</p>",
			suite__stat_name(rc->phase));
		return;
	}
}

static void bar(FILE *f, const struct cell *cl, int ph, double max, bool slow)
{
	const struct summary *s = &cl->st[ph];
	double k = max > 0 ? 100 / max : 0;

	fprintf(f,
		"<div class=bar title=\"median %.3f ms, MAD %.3f, 95%% CI %.3f..%.3f, n=%zu\">"
		"<div class=\"fill%s\" style=\"width:%.1f%%\"></div>"
		"<div class=ci style=\"left:%.1f%%;width:%.1f%%\"></div></div>%.2f ±%.2f",
		s->median, s->mad, s->ci_lo, s->ci_hi, s->n, slow ? " slow" : "", s->median * k,
		s->ci_lo * k, (s->ci_hi - s->ci_lo) * k, s->median, s->mad);
}

static void phase_row(FILE *f, const struct analysis *a, size_t c, int ph,
		      const struct ranked_case *rc)
{
	double max = 0;
	bool any = false;

	for (size_t r = 0; r < a->d->nrts; r++) {
		const struct cell *cl = analysis__cell(a, c, r);

		if (cl->nruns && cl->measured[ph]) {
			any = true;
			max = cl->st[ph].ci_hi > max ? cl->st[ph].ci_hi : max;
		}
	}
	if (!any)
		return;
	fprintf(f, "<tr><td>%s</td>", suite__stat_name(ph));
	for (size_t r = 0; r < a->d->nrts; r++) {
		const struct cell *cl = analysis__cell(a, c, r);

		fprintf(f, "<td%s>", cl->excluded[0] ? " class=excl" : "");
		if (cl->nruns && cl->measured[ph])
			bar(f, cl, ph, max, rc && rc->slow == r && rc->phase == ph);
		else
			fprintf(f, "-");
		fprintf(f, "</td>");
	}
	fprintf(f, "</tr>\n");
}

static void case_section(FILE *f, const struct analysis *a, size_t c)
{
	const struct ranked_case *rc = NULL;

	for (size_t i = 0; i < a->nrank; i++)
		if (a->rank[i].c == c)
			rc = &a->rank[i];
	fprintf(f, "<section data-case=\"");
	esc(f, a->d->cases[c].name);
	fprintf(f, "\" id=\"case-");
	esc(f, a->d->cases[c].name);
	fprintf(f, "\"><h2>");
	esc(f, a->d->cases[c].name);
	fprintf(f, "</h2>");
	drill_link(f, a, rc);
	if (a->unranked[c]) {
		fprintf(f, "<p>not ranked: ");
		esc(f, a->unranked[c]);
		fprintf(f, "</p>");
	}
	fprintf(f, "<table><thead><tr><th>%s ms</th>", a->cpu ? "cpu" : "wall");
	for (size_t r = 0; r < a->d->nrts; r++) {
		fprintf(f, "<th>");
		esc(f, a->d->rts[r]);
		fprintf(f, " (n=%zu)", analysis__cell(a, c, r)->nruns);
		flame_link(f, a, c, r);
		fprintf(f, "</th>");
	}
	fprintf(f, "</tr></thead><tbody>\n");
	phase_row(f, a, c, SUITE_PHASE_RUN, rc);
	for (int ph = 0; ph < PP_PHASE_COUNT; ph++)
		phase_row(f, a, c, ph, rc);
	fprintf(f, "</tbody></table></section>\n");
}

void report_html(FILE *f, const struct analysis *a, const char *title)
{
	fprintf(
	    f, "<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>phaseprof suite: ");
	esc(f, title);
	fprintf(f, "</title><style>%s</style></head><body>\n<h1>phaseprof suite report</h1><p>",
		style);
	esc(f, title);
	fprintf(
	    f,
	    ": %zu cases, %zu runtimes, %zu runs. Bars: the median (red: the phase driving a "
	    "ranked anomaly), the black line its 95%% confidence interval; hover for numbers.</p>\n"
	    "<p><input id=search type=search placeholder=\"search cases and runtimes\"></p>\n",
	    a->d->ncases, a->d->nrts, a->d->nruns);
	ranking(f, a);
	exclusions(f, a);
	for (size_t c = 0; c < a->d->ncases; c++)
		case_section(f, a, c);
	fprintf(f, "<script>%s</script>\n</body></html>\n", script);
}
