// SPDX-License-Identifier: MIT
/*
 * golden_phases.c: a recorded event stream through the phase model and the
 * report, without BPF: golden_phases FILE.events prints the table, a line
 * "--- phases.json", then phases.json, as `record` would for that run.
 * tests/golden/run.py compares the output with FILE.expected.
 *
 * An events file has one event per line, times in microseconds from any
 * origin, '#' comments:
 *	US exec TGID TID
 *	US fork TGID TID PARENT_TID
 *	US exit TGID TID CODE GROUP_DEAD
 *	US site TGID TID PHASE push|pop|mark
 *	US oncpu|offcpu TGID TID
 *	US milestone TGID TID PHASE
 * The first exec's tgid is the run's root process. Lines starting with '@'
 * set what the report says about stack samples (the stacks themselves are
 * golden-tested through the flame graph):
 *	@ samples TOTAL COMPLETE	samples taken, and how many reach main
 *	@ dwarf STACK_COPY TRUNCATED	DWARF call graph: bytes copied, walks cut short
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "phases.h"
#include "profile.h"
#include "report.h"

#define MAX_EVENTS 4096

static int action_of(const char *s)
{
	if (!strcmp(s, "push"))
		return PP_ACT_PUSH;
	if (!strcmp(s, "pop"))
		return PP_ACT_POP;
	return !strcmp(s, "mark") ? PP_ACT_MARK : -1;
}

static const char *const types[] = { [PP_EV_EXEC] = "exec",   [PP_EV_FORK] = "fork",
				     [PP_EV_EXIT] = "exit",   [PP_EV_SITE] = "site",
				     [PP_EV_ONCPU] = "oncpu", [PP_EV_OFFCPU] = "offcpu",
				     [PP_EV_MILESTONE] = "milestone" };

static int type_of(const char *s)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i] && !strcmp(types[i], s))
			return (int)i;
	return -1;
}

/* One line into e; 0, 1 for a blank or comment line, -1 when malformed. */
static int parse_event(char *line, struct pp_event *e, uint32_t site)
{
	char type[16], a[32] = "", b[32] = "";
	unsigned long long us;
	unsigned tgid, tid;
	int n, t, phase, act;

	line[strcspn(line, "#\n")] = '\0';
	n = sscanf(line, "%llu %15s %u %u %31s %31s", &us, type, &tgid, &tid, a, b);
	if (n <= 0)
		return 1;
	t = type_of(type);
	if (n < 4 || t < 0)
		return -1;
	memset(e, 0, sizeof(*e));
	*e = (struct pp_event){ .ts = us * 1000, .type = t, .tgid = tgid, .tid = tid };
	snprintf(e->comm, sizeof(e->comm), "t%u", tid);
	if (t == PP_EV_FORK || t == PP_EV_EXIT) {
		e->arg = (uint32_t)strtoul(a, NULL, 10);
		e->arg2 = (uint32_t)strtoul(b, NULL, 10);
	} else if (t == PP_EV_SITE || t == PP_EV_MILESTONE) {
		phase = phase__from_name(a);
		act = t == PP_EV_MILESTONE ? PP_ACT_MARK : action_of(b);
		if (phase < 0 || act < 0)
			return -1;
		e->cookie = pp_cookie(site, phase, act, act == PP_ACT_POP);
	}
	return 0;
}

static struct stack_result samples;

/* An '@' line: 0, or -1 when malformed. */
static int parse_directive(const char *line, struct report *rep)
{
	unsigned long long a, b;

	if (sscanf(line, "@ samples %llu %llu", &a, &b) == 2 && b <= a) {
		samples.total = a;
		samples.complete = b;
		rep->stacks = &samples;
		return 0;
	}
	if (sscanf(line, "@ dwarf %llu %llu", &a, &b) == 2) {
		rep->call_graph = "dwarf";
		rep->stack_copy = (unsigned)a;
		rep->truncated_stacks = b;
		rep->stack_copy_grew = strstr(line, " grew") != NULL;
		return 0;
	}
	return -1;
}

static size_t read_events(FILE *f, struct pp_event *ev, uint32_t *root, struct report *rep)
{
	char line[256];
	size_t n = 0;
	int lineno = 0, r;

	*root = 0;
	while (n < MAX_EVENTS && fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '@')
			r = parse_directive(line, rep);
		else
			r = parse_event(line, &ev[n], (uint32_t)n);
		if (r < 0) {
			fprintf(stderr, "golden_phases: line %d: cannot parse\n", lineno);
			exit(2);
		}
		if (line[0] == '@')
			continue;
		if (r == 0 && ev[n].type == PP_EV_EXEC && !*root)
			*root = ev[n].tgid;
		n += r == 0;
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct pp_event ev[MAX_EVENTS];
	char *cmd[] = { "/golden/runtime", "module.wasm", NULL };
	struct profile prof = { .name = "golden", .path = "/golden/golden.probe" };
	struct plan plan = { 0 };
	struct run_stats st;
	struct report rep = { .profile = &prof, .runtime_path = cmd[0], .argv = cmd,
			      .plan = &plan, .st = &st, .call_graph = "fp",
			      .backend = "bpf" /* the events are in the BPF backend's format */ };
	uint32_t root;
	size_t n;
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: golden_phases FILE.events\n");
		return 2;
	}
	n = read_events(f, ev, &root, &rep);
	fclose(f);
	if (phases__compute(ev, n, root, &st))
		return 1;
	rep.events = n;
	for (size_t i = 0; i < n; i++)
		if (ev[i].type == PP_EV_EXIT && ev[i].tid == root)
			rep.exit_status = (int)ev[i].arg;
	report__table(stdout, &rep);
	printf("--- phases.json\n");
	report__json(stdout, &rep);
	phases__free(&st);
	return 0;
}
