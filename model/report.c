// SPDX-License-Identifier: MIT
/* report.c: the phase table and phases.json, see report.h */
#include <string.h>
#include "json.h"
#include "report.h"

static double ms(uint64_t ns)
{
	return ns / 1e6;
}

/*
 * Which engine ran the module, from the profile's engine= sites: the first
 * that fired (AOT code, JIT), else the interpreter. NULL when the profile has
 * no engine sites (it cannot tell) or there was no plan (fallback). *site: the
 * site that fired, or NULL.
 */
static const char *engine_of(const struct report *r, const char **site)
{
	static const char *const names[] = { [ENGINE_AOT] = "aot", [ENGINE_JIT] = "jit" };
	bool declared = false;

	*site = NULL;
	if (r->fallback || !r->plan)
		return NULL;
	for (int e = ENGINE_AOT; e <= ENGINE_JIT; e++)
		for (size_t i = 0; i < r->plan->nsites; i++) {
			const struct plan_site *ps = &r->plan->sites[i];

			declared |= ps->site->engine != ENGINE_NONE;
			if ((int)ps->site->engine == e && ps->hits) {
				*site = ps->site->text;
				return names[e];
			}
		}
	return declared ? "interpreter" : NULL;
}

/* An AOT module that no engine=aot site saw loaded: its AOT code did not run. */
static bool aot_not_run(const struct report *r)
{
	const char *site, *e = engine_of(r, &site);

	return e && strcmp(e, "aot") && r->module_kind &&
	       (!strcmp(r->module_kind, "wamr-aot") || !strcmp(r->module_kind, "wasmedge-aot") ||
		!strcmp(r->module_kind, "native"));
}

static void print_engine(FILE *f, const struct report *r)
{
	const char *site, *e = engine_of(r, &site);

	if (!e)
		return;
	if (!strcmp(e, "interpreter"))
		fprintf(f, "  engine: interpreter (no engine=aot or engine=jit site fired)\n");
	else
		fprintf(f, "  engine: %s (fired: %s)\n", !strcmp(e, "aot") ? "AOT code" : "JIT",
			site);
	if (aot_not_run(r))
		fprintf(f,
			"  warning: the module carries AOT code, but the runtime did not load it: "
			"it ran on the %s (see the runtime's profile for the flag AOT code "
			"needs)\n",
			e);
}

static void print_outcome(FILE *f, const struct report *r)
{
	const struct run_stats *st = r->st;

	fprintf(f, "phaseprof: %s (%s%s%s) ", r->profile->name, r->runtime_path,
		r->version ? ", " : "", r->version ? r->version : "");
	if (r->term_signal)
		fprintf(f, "killed by signal %d (%s)", r->term_signal, strsignal(r->term_signal));
	else
		fprintf(f, "exited with status %d", r->exit_status);
	fprintf(f, " after %.2f ms; %u thread%s in %u process%s\n", ms(st->wall_ns),
		(unsigned)st->nthreads, st->nthreads == 1 ? "" : "s", st->processes,
		st->processes == 1 ? "" : "es");
	/* which engine's code ran: AOT code is not the runtime's interpreter or JIT */
	if (r->module_kind && !strcmp(r->module_kind, "wamr-aot"))
		fprintf(f, "  module: AOT code (a WAMR .aot file, made by wamrc)\n");
	else if (r->module_kind && !strcmp(r->module_kind, "wasmedge-aot"))
		fprintf(f, "  module: a WasmEdge universal wasm (it carries AOT code; WasmEdge "
			   "runs it only when its build and run mode allow, else interprets)\n");
	else if (r->module_kind && !strcmp(r->module_kind, "native"))
		fprintf(f, "  module: AOT code in a native library (such as wasmedge compile "
			   "OUT.so makes)\n");
	print_engine(f, r);
}

/* Is the phase in the report at all, and did the profile (or fallback) see it? */
static bool phase_listed(const struct report *r, int p)
{
	return p != PP_PHASE_UNKNOWN || r->fallback;
}

/* A required phase whose sites did not resolve: reported as such, never as zero. */
static const char *phase_unresolved(const struct report *r, int p)
{
	return r->fallback || !r->plan ? NULL : plan__unresolved(r->plan, p);
}

/*
 * Was the phase measured? Not when the fallback cannot see it or its sites
 * did not resolve, nor when it never opened (zero intervals): then it has no
 * numbers, null in phases.json and "not seen" in the table, never measured
 * zeros.
 */
static bool phase_seen(const struct report *r, int p)
{
	if (r->fallback ? !fallback__sees(p) : phase_unresolved(r, p) != NULL)
		return false;
	return r->st->phase[p].intervals > 0;
}

static void print_phases(FILE *f, const struct report *r)
{
	const struct run_stats *st = r->st;
	const struct stack_result *sr = r->stacks;

	fprintf(f, "  %-12s %10s %10s %7s %9s %7s", "phase", "wall ms", "cpu ms", "% run",
		"intervals", "threads");
	fprintf(f, sr ? " %8s\n" : "\n", "samples");
	for (int p = 0; p < PP_PHASE_COUNT; p++) {
		const struct phase_stats *ps = &st->phase[p];

		if (!phase_listed(r, p))
			continue;
		if (!phase_seen(r, p)) {
			fprintf(f, "  %-12s %10s\n", phase__name(p),
				phase_unresolved(r, p) ? "unresolved" : "not seen");
			continue;
		}
		fprintf(f, "  %-12s %10.2f %10.2f %6.1f%% %9llu %7u", phase__name(p),
			ms(ps->wall_ns), ms(ps->cpu_ns),
			st->wall_ns ? 100.0 * ps->wall_ns / st->wall_ns : 0.0,
			(unsigned long long)ps->intervals, ps->threads);
		if (sr)
			fprintf(f, " %8llu", (unsigned long long)sr->phase_samples[p]);
		fputc('\n', f);
	}
	fprintf(f, "  %-12s %10.2f %10.2f", "run", ms(st->wall_ns), ms(st->cpu_ns));
	if (sr)
		fprintf(f, " %26s %8llu", "", (unsigned long long)sr->total);
	fputc('\n', f);
}

static void print_fallback(FILE *f, const struct report *r)
{
	const struct fallback_view *v = r->fallback;

	fprintf(f, "  profile: generic fallback (%s)\n", r->fallback_why);
	if (!r->module) {
		fprintf(f, "  module: none among the arguments; name it with --module FILE\n");
		return;
	}
	fprintf(f, "  module: %s: ", r->module);
	if (v->module_open_ns < 0)
		fprintf(f, "never opened");
	else
		fprintf(f, "opened at %.2f ms, %llu reads", ms(v->module_open_ns),
			(unsigned long long)v->reads);
	if (v->last_read_ns >= 0)
		fprintf(f, ", last read at %.2f ms (load: the module-read span)",
			ms(v->last_read_ns));
	if (v->mapped)
		fprintf(f, ", mapped (reads through the mapping are not seen)");
	if (v->module_close_ns >= 0)
		fprintf(f, ", closed at %.2f ms", ms(v->module_close_ns));
	else if (v->module_open_ns >= 0)
		fprintf(f, ", never closed");
	if (v->module_close_ns > v->last_read_ns && v->last_read_ns >= 0)
		fprintf(f, "; kept open %.2f ms after its last read: unknown",
			ms(v->module_close_ns - v->last_read_ns));
	if (v->jit_ns >= 0)
		fprintf(f, "; first JIT code at %.2f ms", ms(v->jit_ns));
	else
		fprintf(f, "; no JIT code");
	fputc('\n', f);
}

static const char *site_status(const struct plan_site *ps)
{
	if (ps->candidate < 0)
		return "unresolved";
	return ps->hits ? "fired" : "never fired";
}

static void print_probes(FILE *f, const struct report *r)
{
	size_t attached = 0, silent = 0, unresolved = 0;

	for (size_t i = 0; i < r->plan->nsites; i++) {
		const struct plan_site *ps = &r->plan->sites[i];

		attached += ps->candidate >= 0;
		unresolved += ps->candidate < 0;
		silent += ps->candidate >= 0 && !ps->hits;
	}
	fprintf(f, "  probes: %zu site%s attached, %zu never fired, %zu unresolved\n", attached,
		attached == 1 ? "" : "s", silent, unresolved);
	for (size_t i = 0; i < r->plan->nsites; i++) {
		const struct plan_site *ps = &r->plan->sites[i];

		if (ps->candidate >= 0 && ps->hits)
			continue;
		fprintf(f, "    %-11s %-11s %s%s%s\n", phase__name(ps->site->phase),
			site_status(ps), ps->site->text, ps->why ? ": " : "", ps->why ? ps->why : "");
	}
}

/* What phaseprof cost the run, and a warning when its BPF programs took too much. */
static void print_cost(FILE *f, const struct report *r)
{
	const struct self_cost *c = r->cost;
	double share = selfcost__share(c);

	fprintf(f, "  cost: %llu stack samples, %llu events; ", (unsigned long long)c->samples,
		(unsigned long long)c->events);
	if (!c->measured) {
		fprintf(f, "BPF run time not measured\n");
		return;
	}
	fprintf(f, "BPF programs ran %.2f ms, %.1f%% of the runtime's %.2f ms CPU\n",
		ms(c->bpf_ns), 100 * share, ms(c->run_cpu_ns));
	if (share > SELFCOST_WARN_SHARE)
		fprintf(f, "  warning: phaseprof's BPF programs took %.1f%% of the runtime's CPU time "
			   "(more than %.0f%%), which the phases' CPU times include; %s\n",
			100 * share, 100 * SELFCOST_WARN_SHARE,
			r->syscalls ? "--syscalls runs a program on each of its system calls" :
				      "sample less often (-F) or with frame pointers (--call-graph fp)");
}

/* A hint only when it can help: the copy per sample may be at its maximum already. */
static void print_truncation(FILE *f, const struct report *r)
{
	if (!r->truncated_stacks)
		return;
	if (r->stack_copy_grew)
		fprintf(f, ", some truncated before the copy grew to %u bytes (dwarf,%u copies that "
			   "much from the first sample)", r->stack_copy, r->stack_copy);
	else if (r->stack_copy && r->stack_copy < PP_STACK_COPY_MAX)
		fprintf(f, ", some truncated: raise --call-graph dwarf,SIZE (at most %u)",
			(unsigned)PP_STACK_COPY_MAX);
	else
		fprintf(f, ", some truncated: deeper than the most a sample copies, %u bytes",
			(unsigned)PP_STACK_COPY_MAX);
}

/* Each unresolved phase, why, and what to do; its time went to the phase around it. */
static void print_unresolved(FILE *f, const struct report *r)
{
	for (int p = 0; p < PP_PHASE_COUNT; p++)
		if (phase_unresolved(r, p))
			fprintf(f, "  unresolved: %s (its time counts in the phase around it): %s\n",
				phase__name(p), phase_unresolved(r, p));
}

void report__table(FILE *f, const struct report *r)
{
	print_outcome(f, r);
	print_phases(f, r);
	print_unresolved(f, r);
	if (r->fallback)
		print_fallback(f, r);
	print_probes(f, r);
	if (r->lost_events)
		fprintf(f, "  warning: %llu events lost (ring buffer full); phases may be wrong, "
			   "raise --buffer-size\n",
			(unsigned long long)r->lost_events);
	if (r->stacks && r->stacks->total) {
		fprintf(f, "  stacks: %.1f%% reach main or a thread's start (%s call graph",
			100.0 * r->stacks->complete / r->stacks->total, r->call_graph);
		print_truncation(f, r);
		fputs(")\n", f);
	}
	if (r->stacks && r->stacks->lost)
		fprintf(f, "  warning: %llu stack samples lost (sample table full)\n",
			(unsigned long long)r->stacks->lost);
	if (r->st->unmatched_pops)
		fprintf(f, "  note: %llu phase closes had no matching open on their thread\n",
			(unsigned long long)r->st->unmatched_pops);
	if (r->syscalls)
		syscalls__table(f, r->syscalls, 5);
	if (r->offcpu)
		offcpu__table(f, r->offcpu, r->st);
	if (r->cost)
		print_cost(f, r);
}

static void json_engine(struct json *j, const struct report *r)
{
	const char *site, *e = engine_of(r, &site);

	json_string(j, "engine", e);
	json_string(j, "engine_site", site);
	json_bool(j, "aot_code_not_run", aot_not_run(r));
}

static void json_runtime(struct json *j, const struct report *r)
{
	json_begin_object(j, "runtime");
	json_string(j, "name", r->profile->name);
	json_string(j, "path", r->runtime_path);
	json_string(j, "build_id", r->build_id);
	json_string(j, "version", r->version);
	json_string(j, "profile", r->profile->path);
	json_end_object(j);
	json_string(j, "module_kind", r->module_kind);
	json_engine(j, r);
	json_begin_array(j, "command");
	for (size_t i = 0; r->argv[i]; i++)
		json_string(j, NULL, r->argv[i]);
	json_end_array(j);
}

static void json_phases(struct json *j, const struct report *r)
{
	const struct stack_result *sr = r->stacks;

	json_begin_array(j, "phases");
	for (int p = 0; p < PP_PHASE_COUNT; p++) {
		const struct phase_stats *ps = &r->st->phase[p];
		bool seen = phase_seen(r, p);

		if (!phase_listed(r, p))
			continue;
		json_begin_object(j, NULL);
		json_string(j, "name", phase__name(p));
		if (!seen) {
			/* never guessed: a phase not seen has no numbers */
			json_null(j, "wall_ns");
			json_null(j, "cpu_ns");
		} else {
			json_u64(j, "wall_ns", ps->wall_ns);
			json_u64(j, "cpu_ns", ps->cpu_ns);
		}
		json_u64(j, "intervals", ps->intervals);
		json_u64(j, "threads", ps->threads);
		json_u64(j, "main_thread_ns", ps->main_ns);
		json_bool(j, "seen", seen);
		json_bool(j, "unresolved", phase_unresolved(r, p) != NULL);
		if (phase_unresolved(r, p))
			json_string(j, "why", phase_unresolved(r, p));
		if (sr)
			json_u64(j, "samples", sr->phase_samples[p]);
		json_end_object(j);
	}
	json_end_array(j);
}

static void json_ns_or_null(struct json *j, const char *key, int64_t ns)
{
	if (ns < 0)
		json_null(j, key);
	else
		json_u64(j, key, (uint64_t)ns);
}

static void json_fallback(struct json *j, const struct report *r)
{
	const struct fallback_view *v = r->fallback;

	if (!v) {
		json_null(j, "fallback");
		return;
	}
	json_begin_object(j, "fallback");
	json_string(j, "why", r->fallback_why);
	json_string(j, "module", r->module);
	json_ns_or_null(j, "module_open_ns", v->module_open_ns);
	json_ns_or_null(j, "module_close_ns", v->module_close_ns);
	json_ns_or_null(j, "last_read_ns", v->last_read_ns);
	json_u64(j, "reads", v->reads);
	json_bool(j, "mapped", v->mapped);
	json_ns_or_null(j, "jit_ns", v->jit_ns);
	json_end_object(j);
}

static void json_probes(struct json *j, const struct plan *pl)
{
	json_begin_array(j, "probes");
	for (size_t i = 0; i < pl->nsites; i++) {
		const struct plan_site *ps = &pl->sites[i];

		json_begin_object(j, NULL);
		json_string(j, "phase", phase__name(ps->site->phase));
		json_string(j, "site", ps->site->text);
		json_u64(j, "hits", ps->hits);
		json_string(j, "status", site_status(ps));
		json_u64(j, "functions", ps->nfuncs);
		json_string(j, "function", ps->first_func);
		json_string(j, "module", ps->module);
		json_u64(j, "line", ps->site->line);
		if (ps->why)
			json_string(j, "why", ps->why);
		json_end_object(j);
	}
	json_end_array(j);
}

/* The thread's timeline: start, end and phase of each stretch, and how many did not fit. */
static void json_intervals(struct json *j, const struct thread_stats *t)
{
	json_begin_array(j, "intervals");
	for (size_t i = 0; i < t->niv; i++) {
		json_begin_object(j, NULL);
		json_u64(j, "start_ns", t->iv[i].start_ns);
		json_u64(j, "end_ns", t->iv[i].end_ns);
		json_string(j, "phase", phase__name(t->iv[i].phase));
		json_end_object(j);
	}
	json_end_array(j);
	json_u64(j, "intervals_dropped", t->iv_dropped);
}

static void json_threads(struct json *j, const struct run_stats *st)
{
	json_begin_array(j, "threads");
	for (size_t i = 0; i < st->nthreads; i++) {
		const struct thread_stats *t = &st->threads[i];

		json_begin_object(j, NULL);
		json_u64(j, "tid", t->tid);
		json_u64(j, "pid", t->tgid);
		json_string(j, "comm", t->comm);
		json_u64(j, "start_ns", t->start_ns);
		json_u64(j, "end_ns", t->end_ns);
		json_u64(j, "cpu_ns", t->cpu_ns);
		json_begin_object(j, "phase_ns");
		for (int p = 0; p < PP_PHASE_COUNT; p++)
			if (t->phase_ns[p])
				json_u64(j, phase__name(p), t->phase_ns[p]);
		json_end_object(j);
		json_intervals(j, t);
		json_end_object(j);
	}
	json_end_array(j);
}

static void json_samples(struct json *j, const struct report *r)
{
	const struct stack_result *sr = r->stacks;

	json_begin_object(j, "samples");
	json_u64(j, "frequency_hz", r->freq);
	json_u64(j, "total", sr->total);
	json_u64(j, "lost", sr->lost);
	json_u64(j, "no_user_stack", sr->no_stack);
	json_u64(j, "stacks", sr->n);
	json_u64(j, "named_frames", sr->named);
	json_u64(j, "unknown_frames", sr->unknown);
	json_string(j, "call_graph", r->call_graph);
	json_u64(j, "complete", sr->complete);
	json_u64(j, "truncated", r->truncated_stacks);
	if (r->stack_copy && r->call_graph && !strcmp(r->call_graph, "dwarf"))
		json_u64(j, "stack_copy", r->stack_copy); /* what the last samples copied */
	json_end_object(j);
}

static void json_cost(struct json *j, const struct self_cost *c, unsigned freq)
{
	json_begin_object(j, "profiler");
	json_u64(j, "samples", c->samples);
	json_u64(j, "events", c->events);
	json_u64(j, "frequency_hz", freq);
	if (c->measured) {
		json_u64(j, "bpf_run_ns", c->bpf_ns);
		json_u64(j, "bpf_runs", c->bpf_runs);
		json_u64(j, "run_cpu_ns", c->run_cpu_ns);
		json_double(j, "bpf_cpu_share", selfcost__share(c));
	} else {
		json_null(j, "bpf_run_ns");
		json_null(j, "bpf_runs");
		json_u64(j, "run_cpu_ns", c->run_cpu_ns);
		json_null(j, "bpf_cpu_share");
	}
	json_end_object(j);
}

void report__json(FILE *f, const struct report *r)
{
	struct json j;

	json_init(&j, f, true);
	json_begin_object(&j, NULL);
	json_runtime(&j, r);
	json_string(&j, "backend", r->backend);
	json_i64(&j, "exit_status", r->exit_status);
	json_u64(&j, "term_signal", r->term_signal);
	json_u64(&j, "wall_ns", r->st->wall_ns);
	json_u64(&j, "cpu_ns", r->st->cpu_ns);
	json_begin_object(&j, "rusage");
	json_u64(&j, "user_ns", r->rusage_user_ns);
	json_u64(&j, "system_ns", r->rusage_system_ns);
	json_end_object(&j);
	json_phases(&j, r);
	json_fallback(&j, r);
	if (r->stacks) {
		json_samples(&j, r);
		/* the share of samples whose user stack reaches main or a thread's start */
		json_double(&j, "complete_stacks",
			    r->stacks->total ? (double)r->stacks->complete / r->stacks->total : 0);
	}
	json_probes(&j, r->plan);
	json_threads(&j, r->st);
	json_u64(&j, "events", r->events);
	json_u64(&j, "lost_events", r->lost_events);
	json_u64(&j, "unmatched_closes", r->st->unmatched_pops);
	if (r->cost)
		json_cost(&j, r->cost, r->freq);
	if (r->syscalls)
		syscalls__json(&j, r->syscalls);
	if (r->offcpu)
		offcpu__json(&j, r->offcpu);
	json_end_object(&j);
	json_finish(&j);
}
