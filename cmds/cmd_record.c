// SPDX-License-Identifier: MIT
/*
 * cmd_record.c: `phaseprof record` (also plain `phaseprof -x ...`): start a
 * runtime under observation, time its phases, report them, and exit with the
 * runtime's own status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <time.h>
#include <pthread.h>
#include <semaphore.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cmdutil.h"
#include "commands.h"
#include "exitcodes.h"
#include "leftovers.h"
#include "log.h"
#include "options.h"
#include "outfile.h"
#include "phases.h"
#include "plan.h"
#include "plancache.h"
#include "profile.h"
#include "report.h"
#include "runtitle.h"
#include "runtime.h"
#include "backend.h"
#include "uprobe_warm.h"
#include "events.h"
#include "target.h"
#include "stacks.h"
#include "timeline.h"
#include "pprof.h"
#include "selfcost.h"
#include "syscalls.h"
#include "offcpu.h"
#include "unwind.h"
#include "vec.h"
#include "symbolize.h"
#include "fallback.h"
#include "wasmfile.h"
#include "flamegraph.h"

/*
 * The kernel allocates and clears a ring buffer whole when it is made, and
 * every run pays it: 4 MiB hold 60000 events past the point where the reader
 * is woken (a quarter of a MiB), far more than a runtime emits while the
 * reader waits for a CPU.
 */
#define DEFAULT_BUFFER_MB 4
#define DEFAULT_FREQ 999
/*
 * The most -F takes. Every sample costs the sampled thread a few microseconds
 * in the kernel (a stack copy of up to 32 KiB with --call-graph dwarf, and the unwinding
 * after), so 10000 Hz can already cost a tenth of each CPU; beyond it the
 * profile measures phaseprof more than the runtime.
 */
#define MAX_FREQ 10000
#define DEFAULT_STACK_COPY 32768 /* a plain number: --help prints it as written */
/*
 * Without a SIZE, DWARF samples start by copying this much stack (most of
 * node's stacks unwind whole from it) and copy twice as much each time one
 * is cut short by the copy, up to DEFAULT_STACK_COPY. Samples are unwound as
 * they come until this many in a row needed no more.
 */
#define FIRST_STACK_COPY 16384
#define SETTLED_SAMPLES 256
/* DWARF mode: samples take only the stack they copied (a few KiB, 36 at most) */
#define STACK_RING_MB 16

enum call_graph { CG_AUTO, CG_FP, CG_DWARF };
#define MAX_DEBUGINFO_DIRS 16

enum { OPT_PROBES = 256, OPT_DEBUGINFO, OPT_RAW, OPT_BUFFER, OPT_BTF, OPT_NO_PHASE_FRAME,
       OPT_NO_PROCESS_FRAME, OPT_BACKEND, OPT_GENERIC, OPT_NO_FALLBACK, OPT_MODULE,
       OPT_OPTION, OPT_KEEP_CACHE, OPT_NO_BPF_CACHE, OPT_CALL_GRAPH, OPT_SYSCALLS,
       OPT_OFFCPU };
#define MAX_PROFILE_OPTIONS 16

const struct opt_doc record_options[] = {
	{ "runtime", 'x', "RUNTIME", "runtime to run: a name on PATH or a path to its binary" },
	{ "output", 'o', "DIR",
	  "write DIR/phases.json, trace.json, timeline.svg, and with stacks stacks.folded, "
	  "flamegraph.svg and profile.pb.gz "
	  "(DIR is made if missing)" },
	{ "freq", 'F', "HZ",
	  "sample stacks HZ times a second per CPU (default " STRINGIFY(DEFAULT_FREQ) "; 0: no stacks)" },
	{ "call-graph", OPT_CALL_GRAPH, "fp|dwarf[,SIZE]|auto",
	  "walk user stacks by frame pointer, or unwind SIZE bytes of stack with DWARF CFI "
	  "(default auto: dwarf when the runtime has no frame pointers; SIZE " STRINGIFY(FIRST_STACK_COPY)
	  ", doubled up to " STRINGIFY(DEFAULT_STACK_COPY) " once a stack is cut short)" },
	{ "no-phase-frame", OPT_NO_PHASE_FRAME, NULL, "leave the [phase] frame out of stacks.folded" },
	{ "no-process-frame", OPT_NO_PROCESS_FRAME, NULL,
	  "leave the process frame out of stacks.folded" },
	{ "probes", OPT_PROBES, "FILE", "use this profile instead of choosing one by binary name" },
	{ "option", OPT_OPTION, "NAME=on|off",
	  "turn a profile option on or off (see phaseprof-probes(5)); repeatable; an option the "
	  "profile lacks is an error, unless written NAME?=on|off" },
	{ "syscalls", OPT_SYSCALLS, NULL,
	  "count the runtime's system calls and their time per phase and thread (in the kernel)" },
	{ "off-cpu", OPT_OFFCPU, NULL,
	  "measure the time threads spend blocked, per phase, with stacks (DIR/offcpu.folded, "
	  "DIR/offcpu.svg) and who woke them" },
	{ "keep-cache", OPT_KEEP_CACHE, NULL,
	  "leave the runtime's compilation cache on (the profile's no-cache option off; an error "
	  "if it has none)" },
	{ "generic", OPT_GENERIC, NULL,
	  "use the generic fallback (module file reads, JIT memory) instead of a profile" },
	{ "no-fallback", OPT_NO_FALLBACK, NULL,
	  "fail when no profile fits or its sites do not resolve, instead of falling back" },
	{ "module", OPT_MODULE, "FILE", "the module file the fallback watches (default: from ARGS)" },
	{ "debuginfo", OPT_DEBUGINFO, "DIR", "look for debug files in DIR first (repeatable)" },
	{ "raw", OPT_RAW, NULL, "run RUNTIME ARGS as given, without the profile's argv template" },
	{ "buffer-size", OPT_BUFFER, "MB",
	  "event ring buffer size in MiB, a power of two (default " STRINGIFY(DEFAULT_BUFFER_MB) ")" },
	{ "btf", OPT_BTF, "FILE", "kernel BTF to use instead of /sys/kernel/btf/vmlinux" },
	{ "no-bpf-cache", OPT_NO_BPF_CACHE, NULL,
	  "load the BPF programs afresh and keep none for the next run (see phaseprof-cache(1))" },
	{ "backend", OPT_BACKEND, "NAME",
	  "bpf, perf (tracefs uprobe events and perf_event_open, no BPF, no stacks) or auto "
	  "(default: bpf, perf where BPF is unavailable)" },
	{ "verbose", 'v', NULL, "say more (resolved sites, libbpf messages); repeat for more" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 },
};

static const char record_usage[] =
	"usage: phaseprof [record] -x RUNTIME [options] -- ARGS...\n"
	"\n"
	"Start RUNTIME with ARGS under observation and report how long it spent in\n"
	"each phase: startup, load, compile, instantiate, execute, teardown.\n";

static const char record_examples[] =
	"examples:\n"
	"  phaseprof -x node -- app.wasm                # phase table on stderr\n"
	"  phaseprof -x node -o out -- app.wasm 30      # and out/phases.json\n"
	"  phaseprof -x ./iwasm-2.4.3 -- app.wasm       # profile chosen by name: iwasm\n"
	"  phaseprof -x myrt --probes my.probe -- app.wasm\n"
	"  phaseprof resolve -x /usr/bin/node 'v8::internal::wasm::*Compile*'\n"
	"\n"
	"exit status: the runtime's own (128+N if signal N killed it); 64 usage,\n"
	"65 probe file error, 66 probe symbol not found, 67 no profile for the runtime,\n"
	"77 missing privileges, 78 kernel lacks BTF, 125 other failure,\n"
	"126 not an ELF executable, 127 runtime not found (see phaseprof(1)).\n";

struct record_opts {
	const char *runtime;
	const char *output;
	const char *probes;
	const char *btf;
	const char *backend; /* "bpf", "perf" or "auto" */
	const char *debuginfo[MAX_DEBUGINFO_DIRS];
	size_t ndebuginfo;
	bool raw;
	bool generic, no_fallback;
	bool keep_cache;
	bool no_bpf_cache;
	bool syscalls;
	bool offcpu;
	const char *options[MAX_PROFILE_OPTIONS]; /* NAME=on|off */
	size_t noptions;
	const char *module;
	unsigned buffer_mb;
	unsigned freq;
	enum call_graph call_graph;
	unsigned stack_copy; /* DWARF mode: bytes of stack per sample */
	bool stack_copy_given; /* dwarf,SIZE: no adapting */
	struct stack_opts stack;
	char **args;
	size_t nargs;
};

static int parse_buffer_size(const char *arg, unsigned *mb)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*end || v == 0 || v > 1024 || (v & (v - 1)))
		return -EINVAL;
	*mb = (unsigned)v;
	return 0;
}

static int parse_freq(const char *arg, unsigned *hz)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (!*arg || *end || v > MAX_FREQ)
		return -EINVAL;
	*hz = (unsigned)v;
	return 0;
}

static int parse_call_graph(const char *arg, struct record_opts *o)
{
	char *end;
	unsigned long size;

	if (!strcmp(arg, "fp") || !strcmp(arg, "auto")) {
		o->call_graph = arg[0] == 'f' ? CG_FP : CG_AUTO;
		return 0;
	}
	if (strncmp(arg, "dwarf", 5) || (arg[5] && arg[5] != ','))
		return -EINVAL;
	o->call_graph = CG_DWARF;
	if (!arg[5])
		return 0;
	size = strtoul(arg + 6, &end, 0);
	if (*end || size < 512 || size > PP_STACK_COPY_MAX)
		return -EINVAL;
	o->stack_copy = (unsigned)size;
	o->stack_copy_given = true;
	return 0;
}

/* NAME=on|off, or NAME?=on|off: set NAME only if the profile has it */
static bool valid_option(const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) - (eq > arg && eq[-1] == '?') : 0;

	return eq && n > 0 && n < 64 && (!strcmp(eq + 1, "on") || !strcmp(eq + 1, "off"));
}

/* "a, b, c": what a profile's options are called, for a message */
static void option_names(const struct profile *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; p && i < p->noptions && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", p->options[i].name);
	if (!buf[0])
		snprintf(buf, len, "none");
}

/*
 * Profile options from the command line. An option the profile does not have
 * is a usage error, as a misspelt one would silently measure something else;
 * NAME?= (what compare passes to every runtime) sets it only where it exists.
 */
static int apply_profile_options(struct profile *p, const struct record_opts *o)
{
	char names[512];

	option_names(p, names, sizeof(names));
	/*
	 * A perf map names JIT frames in sampled stacks; with none sampled it is
	 * only the runtime's cost (a line written for every function it
	 * compiles). --option perfmap=on below still asks for it.
	 */
	if (!o->freq && !o->offcpu)
		profile__set_option(p, "perfmap", false);
	if (o->keep_cache && profile__set_option(p, "no-cache", false)) {
		pr_err("--keep-cache: profile %s has no compilation cache to keep (no 'no-cache' "
		       "option; its options: %s); leave --keep-cache out",
		       p ? p->name : "(none)", names);
		return PP_EXIT_USAGE;
	}
	for (size_t i = 0; i < o->noptions; i++) {
		const char *eq = strchr(o->options[i], '=');
		bool if_present = eq[-1] == '?';
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)(eq - o->options[i]) - if_present,
			 o->options[i]);
		if (!profile__set_option(p, name, !strcmp(eq + 1, "on")) || if_present)
			continue;
		pr_err("--option %s: profile %s has no option '%s'; its options: %s", o->options[i],
		       p ? p->name : "(none)", name, names);
		return PP_EXIT_USAGE;
	}
	return 0;
}

/* 0 to go on, or an exit code (PP_EXIT_OK after --help). */
static int record_option(int c, void *ctx, char **argv)
{
	struct record_opts *o = ctx;

	(void)argv;
	switch (c) {
	case 'x': o->runtime = optarg; break;
	case 'o': o->output = optarg; break;
	case OPT_PROBES: o->probes = optarg; break;
	case OPT_BTF: o->btf = optarg; break;
	case OPT_BACKEND:
		if (strcmp(optarg, "bpf") && strcmp(optarg, "perf") && strcmp(optarg, "auto"))
			return cmd_usage_error("record", "--backend takes bpf, perf or auto, not '%s'", optarg);
		o->backend = optarg;
		break;
	case OPT_RAW: o->raw = true; break;
	case OPT_NO_PHASE_FRAME: o->stack.phase_frame = false; break;
	case OPT_NO_PROCESS_FRAME: o->stack.process_frame = false; break;
	case OPT_GENERIC: o->generic = true; break;
	case OPT_NO_FALLBACK: o->no_fallback = true; break;
	case OPT_MODULE: o->module = optarg; break;
	case OPT_KEEP_CACHE: o->keep_cache = true; break;
	case OPT_NO_BPF_CACHE: o->no_bpf_cache = true; break;
	case OPT_SYSCALLS: o->syscalls = true; break;
	case OPT_OFFCPU: o->offcpu = true; break;
	case OPT_CALL_GRAPH:
		if (parse_call_graph(optarg, o))
			return cmd_usage_error("record", "--call-graph takes fp, dwarf, dwarf,SIZE (bytes, 512 "
					   "to 32768) or auto, not '%s'", optarg);
		break;
	case OPT_OPTION:
		if (o->noptions == MAX_PROFILE_OPTIONS || !valid_option(optarg))
			return cmd_usage_error("record", "--option takes NAME=on, NAME=off or "
					   "NAME?=on|off (at most 16), not '%s'", optarg);
		o->options[o->noptions++] = optarg;
		break;
	case 'F':
		if (parse_freq(optarg, &o->freq))
			return cmd_usage_error("record", "-F takes a frequency from 0 to "
					   STRINGIFY(MAX_FREQ) " (Hz), not '%s': more samples "
					   "would cost the runtime more CPU than they tell about it",
					   optarg);
		break;
	case 'v': log_verbosity++; break;
	case OPT_DEBUGINFO:
		if (o->ndebuginfo == MAX_DEBUGINFO_DIRS)
			return cmd_usage_error("record", "too many --debuginfo directories (at most 16)", "");
		o->debuginfo[o->ndebuginfo++] = optarg;
		break;
	case OPT_BUFFER:
		if (parse_buffer_size(optarg, &o->buffer_mb))
			return cmd_usage_error("record", "--buffer-size takes a power of two from 1 to 1024 "
					   "(MiB), not '%s'", optarg);
		break;
	}
	return 0;
}

static int parse_record_opts(int argc, char **argv, struct record_opts *o, bool *done)
{
	static const struct opt_verb v = { "record", record_usage, record_options, record_examples,
					   '+' };
	int ret;

	memset(o, 0, sizeof(*o));
	o->buffer_mb = DEFAULT_BUFFER_MB;
	o->freq = DEFAULT_FREQ;
	o->stack_copy = DEFAULT_STACK_COPY;
	o->stack = (struct stack_opts){ .phase_frame = true, .process_frame = true };
	ret = options_parse(argc, argv, &v, record_option, o, done);
	if (ret || *done)
		return ret;
	if (!o->runtime)
		return cmd_usage_error("record", "%sno runtime given; use -x RUNTIME", "");
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

/*
 * -v: how long phaseprof's own steps take, against its fixed cost; and its
 * CPU time so far (all its threads), which a loaded machine does not swell.
 */
static void step_done(const char *what)
{
	static struct timespec t0;
	struct timespec t, cpu;

	clock_gettime(CLOCK_MONOTONIC, &t);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	if (!t0.tv_sec)
		t0 = t;
	pr_debug("%8.2f ms (cpu %7.2f ms): %s",
		 (t.tv_sec - t0.tv_sec) * 1e3 + (t.tv_nsec - t0.tv_nsec) / 1e6,
		 cpu.tv_sec * 1e3 + cpu.tv_nsec / 1e6, what);
}

/* libbpf printed a program's load log: the verifier refused it (read after the loader's join) */
static bool verifier_refused;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && strstr(fmt, "BEGIN PROG LOAD LOG"))
		verifier_refused = true;
	if (level == LIBBPF_DEBUG && log_verbosity < 2)
		return 0;
	if (log_verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int check_kernel(const char *btf)
{
	const char *path = btf ? btf : "/sys/kernel/btf/vmlinux";

	if (!have_bpf_privileges()) {
		pr_err("cannot load BPF programs: phaseprof needs root, or CAP_BPF and CAP_PERFMON; "
		       "run it with sudo (the runtime itself still runs as you)");
		return PP_EXIT_NO_PRIVILEGE;
	}
	if (access(path, R_OK)) {
		pr_err("cannot use BPF CO-RE: kernel BTF '%s' is missing (%s); use a kernel built "
		       "with CONFIG_DEBUG_INFO_BTF=y, or pass --btf FILE",
		       path, strerror(errno));
		return PP_EXIT_NO_BTF;
	}
	return 0;
}

/* ---- signals: forward what was sent to us alone; the terminal's reached the runtime too ---- */

static volatile sig_atomic_t pending_signal, signals_seen;

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	signals_seen++;
	/* si_code <= 0: sent by a process (kill, sigqueue), not by the tty */
	if (info->si_code <= 0 || signals_seen > 1)
		pending_signal = signals_seen > 1 ? SIGKILL : sig;
}

static int take_pending_signal(void)
{
	int sig = pending_signal;

	pending_signal = 0;
	return sig;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- the run ---- */

struct run {
	struct record_opts o;
	char path[PATH_MAX];
	struct profile *profile;
	struct plan plan;
	struct target target;      /* the runtime's process */
	struct event_store events; /* what the backend saw of it */
	struct backend backend;
	char **argv;
	size_t nargv;
	/* DWARF mode: samples unwound here as they arrive, counted by stack */
	bool dwarf;
	struct unwinder *unwinder;
	struct stack_agg *agg;
	uint64_t unwind_failed; /* samples the aggregation had no memory for */
	struct symbolizer *z; /* names sampled frames; kernel symbols read before the run */
	/* the background thread: kernel symbols and the runtime's version */
	pthread_t background_tid;
	bool background_started;
	/* posted once the runtime runs (or the run ends): background() then loads its libraries */
	sem_t runtime_running;
	/*
	 * The thread that opens the perf events following the runtime's memory
	 * maps: the first per-process perf event waits for an RCU grace period
	 * (10-15 ms), which it spends while the BPF programs load.
	 */
	pthread_t maps_tid;
	bool maps_started;
	int maps_err;
	char version[128];
	bool version_ok;
	bool plan_cached; /* the plan came from the cache: no symbols were loaded for it */
	/* the generic fallback: used, why, and the module file it watches */
	bool fallback;
	char fallback_why[2048];
	char module[PATH_MAX];
	uint64_t module_ino;
	enum module_kind module_kind; /* of the module among the arguments */
	int outdir; /* -o DIR, opened (and made) before the runtime starts; -1 without -o */
	struct pprof *pprof; /* -o: the samples as DIR/profile.pb.gz */
	int stats_fd;        /* BPF run-time statistics are on while it is open (> 0) */
	unsigned stack_copy; /* DWARF mode: bytes of stack a sample copies now */
	unsigned settled;    /* samples since it last grew */
	struct self_cost cost;
};

static void unwind_sample(void *ctx, const struct pp_stack_sample *sample);

static void backend_options(struct run *r, struct backend_opts *bo)
{
	*bo = (struct backend_opts){
		.buffer_mb = r->o.buffer_mb,
		.btf = r->o.btf,
		.stack_ring_mb = r->dwarf ? STACK_RING_MB : 0,
		.stack_copy = r->stack_copy,
		.on_stack = unwind_sample,
		.stack_ctx = r,
		.syscalls = r->o.syscalls,
		.offcpu = r->o.offcpu,
		.sampling = r->o.freq > 0,
		.fallback = r->fallback,
		.no_cache = r->o.no_bpf_cache,
	};
}

/*
 * Observe the run with ops' backend, asked for or standing in where BPF was
 * unavailable (fallback_why says why): then the note says what it cannot do.
 */
static int open_backend(struct run *r, const struct backend_ops *ops, const char *fallback_why)
{
	struct backend_opts bo;
	char why[1024] = "";
	int err;

	if (fallback_why)
		pr_note("BPF is unavailable here (%s); timing phases with the %s backend%s", fallback_why,
			ops->name, ops->caps & BACKEND_STACKS ? "" : " (no stack samples)");
	if (!(ops->caps & BACKEND_STACKS))
		r->o.freq = 0;
	if ((r->o.syscalls || r->o.offcpu) && !ops->attach_syscalls) {
		pr_warn("--syscalls and --off-cpu need BPF; the %s backend runs without them",
			ops->name);
		r->o.syscalls = r->o.offcpu = false;
	}
	backend_options(r, &bo);
	err = backend__open(&r->backend, ops, &r->target, &r->events, &bo, why, sizeof(why));
	if (err) {
		pr_err("cannot use the %s backend: %s", ops->name, why[0] ? why : strerror(-err));
		return err == -EPERM || err == -EACCES ? PP_EXIT_NO_PRIVILEGE : PP_EXIT_FAILURE;
	}
	return 0;
}

/* The fallback watches the module file named among the arguments, and JIT memory. */
static int arm_fallback(struct run *r)
{
	char why[1024] = "";
	int err;

	if (fallback__module(r->o.args, r->o.nargs, r->o.module, r->module, sizeof(r->module),
			     &r->module_ino)) {
		if (r->o.module) {
			pr_err("cannot watch module '%s': not a regular file", r->o.module);
			return PP_EXIT_USAGE;
		}
		r->module[0] = '\0';
		r->module_ino = 0;
	}
	err = backend__attach_fallback(&r->backend, r->module_ino, why, sizeof(why));
	if (err == -EOPNOTSUPP) {
		pr_err("cannot use the generic fallback (%s): %s", r->fallback_why, why);
		return PP_EXIT_NO_SYMBOL;
	}
	if (err) {
		pr_err("cannot attach the fallback's syscall tracepoints: %s", why);
		return PP_EXIT_FAILURE;
	}
	pr_note("generic fallback for %s (%s): it sees startup and load%s%s; the rest is unknown",
		r->path, r->fallback_why, r->module[0] ? " of " : ", but no module file among the arguments (--module FILE)",
		r->module);
	return 0;
}

/* The kernel refuses a rate above perf_event_max_sample_rate (which it lowers
 * itself when sampling interrupts take too long): sample at that rate instead. */
static void cap_freq(struct run *r)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "r");
	unsigned max;

	if (!f)
		return;
	if (fscanf(f, "%u", &max) == 1 && max && r->o.freq > max) {
		pr_note("sampling at %u Hz, not %u: the kernel's limit now "
			"(/proc/sys/kernel/perf_event_max_sample_rate)", max, r->o.freq);
		r->o.freq = max;
	}
	fclose(f);
}

static int attach_uprobes(struct run *r)
{
	char why[1024] = "";
	size_t failed = 0;
	int err = backend__attach_uprobes(&r->backend, r->plan.att, r->plan.natt, &failed, why,
					  sizeof(why));
	int warm[UPROBE_WARM_MAX];
	size_t nwarm = uprobe_warm__stop(warm, UPROBE_WARM_MAX);

	backend__take_links(&r->backend, warm, nwarm);
	if (err) {
		const struct plan_attach *a = &r->plan.att[failed];
		const struct probe_site *site = r->plan.sites[pp_cookie_site(a->cookie)].site;

		pr_err("cannot attach %s to %s:%s at %s+0x%llx: %s",
		       a->retprobe ? "uretprobe" : "uprobe", r->profile->name, site->text, a->path,
		       (unsigned long long)a->offset, why);
		return PP_EXIT_FAILURE;
	}
	return 0;
}

static void *follow_maps(void *arg)
{
	struct run *r = arg;

	r->maps_err = target__follow_maps(&r->target);
	return NULL;
}

/* Samples and blocked stacks are named from the maps: follow them from now on, off the main
 * thread. */
static void start_following_maps(struct run *r)
{
	if (!r->o.freq && !r->o.offcpu)
		return;
	r->maps_started = !pthread_create(&r->maps_tid, NULL, follow_maps, r);
	if (!r->maps_started)
		follow_maps(r);
}

static void join_following_maps(struct run *r)
{
	if (r->maps_started)
		pthread_join(r->maps_tid, NULL);
	r->maps_started = false;
}

/* The runtime's maps are followed (whether or not start_following_maps() ran): 0 or -errno. */
static int maps_followed(struct run *r)
{
	join_following_maps(r);
	if (!r->target.mm && !r->maps_err)
		follow_maps(r);
	return r->maps_err;
}

static int attach_sampling(struct run *r)
{
	char why[1024] = "";
	int err = maps_followed(r);

	cap_freq(r);
	if (err)
		snprintf(why, sizeof(why), "cannot follow the runtime's memory maps: %s",
			 strerror(-err));
	else
		err = backend__attach_sampling(&r->backend, r->o.freq, why, sizeof(why));
	if (err) {
		pr_err("cannot sample stacks at %u Hz: %s; try -F 0 to time phases only", r->o.freq,
		       why);
		return PP_EXIT_FAILURE;
	}
	return 0;
}

/* --syscalls and --off-cpu: blocked stacks are named from the maps, as samples are. */
static int attach_why(struct run *r)
{
	char why[1024] = "";
	int err = 0;

	if (r->o.syscalls && (err = backend__attach_syscalls(&r->backend, why, sizeof(why)))) {
		pr_err("cannot attach the system call tracepoints: %s", why);
		return PP_EXIT_FAILURE;
	}
	if (r->o.offcpu)
		err = maps_followed(r);
	if (r->o.offcpu && err)
		snprintf(why, sizeof(why), "cannot follow the runtime's memory maps: %s",
			 strerror(-err));
	else if (r->o.offcpu)
		err = backend__attach_offcpu(&r->backend, why, sizeof(why));
	if (err) {
		pr_err("cannot attach the off-CPU tracepoints: %s", why);
		return PP_EXIT_FAILURE;
	}
	return 0;
}

static int arm(struct run *r)
{
	char why[1024] = "";
	int err;

	/* on before the first program can run, so the cost counts all of it */
	r->stats_fd = r->backend.ops->own_cost ? selfcost__enable_stats() : 0;
	if (r->stats_fd < 0)
		pr_debug("cannot turn on BPF run-time statistics: %s", strerror(-r->stats_fd));
	err = backend__attach_tracepoints(&r->backend, why, sizeof(why));

	if (err) {
		pr_err("cannot attach sched tracepoints: %s", why);
		return PP_EXIT_FAILURE;
	}
	err = r->fallback ? arm_fallback(r) : 0;
	err = err ?: attach_uprobes(r);
	err = err ?: r->o.freq ? attach_sampling(r) : 0;
	err = err ?: attach_why(r);
	if (!err)
		pr_debug("%zu probes and 4 tracepoints attached", r->plan.natt);
	return err;
}

struct bpf_loader {
	pthread_t tid;
	struct run *r;
	int err;
};

static void *load_bpf(void *arg)
{
	struct bpf_loader *l = arg;
	struct backend_opts bo;
	char why[1024];

	/* its errors are told by prepare(): some make the perf backend stand in */
	backend_options(l->r, &bo);
	l->err = backend__open(&l->r->backend, &bpf_backend_ops, &l->r->target, &l->r->events, &bo,
			       why, sizeof(why));
	return NULL;
}

/*
 * A program the verifier refuses is phaseprof's bug, not a kernel without BTF:
 * say so, and where the verifier's own words are.
 */
static int bpf_load_error(int err)
{
	if (verifier_refused) {
		pr_err("cannot load the BPF program: the kernel's verifier refused it (%s); this is "
		       "a phaseprof bug: run with -v to see the verifier's log, and report it",
		       strerror(-err));
		return PP_EXIT_FAILURE;
	}
	pr_err("cannot load the BPF program: %s%s", strerror(-err),
	       err == -EPERM ? "; run as root or with CAP_BPF and CAP_PERFMON" :
			       "; the kernel lacks BTF or a BPF feature phaseprof needs (-vv shows libbpf's log)");
	return err == -EPERM ? PP_EXIT_NO_PRIVILEGE : PP_EXIT_NO_BTF;
}

static int prepare_unwinding(struct run *r);
static void join_background(struct run *r);
static void background_runtime_running(struct run *r);

/*
 * The runtime's perf map, if the profile makes it write one: noted, so that
 * the next run removes it if this one is killed.
 */
static void note_perf_map(struct run *r)
{
	const struct profile_option *perfmap = profile__option(r->profile, "perfmap");

	if (!r->o.raw && perfmap && perfmap->on)
		leftovers__note_perfmap(r->target.pid);
}

static int start_runtime(struct run *r)
{
	int err = prepare_unwinding(r) ?: arm(r);

	if (err)
		return err;
	catch_signals();
	step_done("probes armed");
	note_perf_map(r);
	err = target__start(&r->target, r->argv);
	if (err) {
		pr_err("cannot exec '%s': %s", r->argv[0], strerror(-err));
		return err == -ENOENT ? PP_EXIT_NOT_FOUND : PP_EXIT_NOT_ELF;
	}
	background_runtime_running(r);
	return 0;
}

static uint64_t timeval_ns(const struct timeval *tv)
{
	return tv->tv_sec * 1000000000ULL + tv->tv_usec * 1000ULL;
}

static int exit_code_of(int status, int *term_signal)
{
	*term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return *term_signal ? 128 + *term_signal : WEXITSTATUS(status);
}

typedef int (*writer_fn)(FILE *f, const void *what);

static int put_json(FILE *f, const void *rep)
{
	report__json(f, rep);
	return 0;
}

static int write_file(int dirfd, const char *dir, const char *name, writer_fn fn, const void *what)
{
	struct outfile out;
	int err = outfile_begin(&out, dirfd, name);

	if (!err) {
		err = fn(out.f, what);
		if (err)
			outfile_abort(&out);
		else
			err = outfile_commit(&out);
	}
	if (err)
		pr_err("cannot write '%s/%s': %s", dir, name, strerror(-err));
	return err;
}

struct folded_buf {
	const char *text;
	size_t len;
	const char *title; /* the flame graph's */
};

static int put_buffer(FILE *f, const void *what)
{
	const struct folded_buf *b = what;

	return fwrite(b->text, 1, b->len, f) == b->len ? 0 : -EIO;
}

/* The flame graph is drawn from the folded stacks in memory: DIR/stacks.folded is never re-read. */
static int put_flamegraph(FILE *f, const void *what)
{
	const struct folded_buf *b = what;
	struct flame_opts fo;

	flame_opts_init(&fo);
	fo.palette = FLAME_PAL_WASM;
	fo.title = b->title;
	return flame_render_buffer(b->text, b->len, f, &fo);
}

static int put_trace(FILE *f, const void *tl)
{
	return timeline__trace_json(f, tl);
}

static int put_timeline(FILE *f, const void *tl)
{
	return timeline__svg(f, tl);
}

static int put_pprof(FILE *f, const void *pprof)
{
	return pprof__write((struct pprof *)pprof, f);
}

/* offcpu.svg: the blocked stacks, in microseconds, in the io palette's blues */
static int put_offcpu_svg(FILE *f, const void *what)
{
	const struct folded_buf *b = what;
	struct flame_opts fo;

	flame_opts_init(&fo);
	fo.palette = FLAME_PAL_IO;
	fo.title = b->title;
	fo.countname = "us";
	return flame_render_buffer(b->text, b->len, f, &fo);
}

/* --off-cpu: DIR/offcpu.folded, and its flame graph drawn from memory */
static int write_offcpu(int dirfd, const char *dir, const struct offcpu_report *off)
{
	char *text = NULL;
	struct folded_buf b = { .title = "phaseprof off-CPU time" };
	FILE *m = open_memstream(&text, &b.len);
	int err = m ? stacks__write_folded(m, &off->stacks) : -ENOMEM;

	if (m && fclose(m) && !err)
		err = -ENOMEM;
	b.text = text;
	if (err)
		pr_err("cannot fold the off-CPU stacks: %s", strerror(-err));
	err = err ?: write_file(dirfd, dir, "offcpu.folded", put_buffer, &b);
	if (!err && off->stacks.n)
		err = write_file(dirfd, dir, "offcpu.svg", put_offcpu_svg, &b);
	else
		unlinkat(dirfd, "offcpu.svg", 0);
	free(text);
	return err;
}

static int write_stacks(int dirfd, const char *dir, const struct report *rep)
{
	char title[512], *text = NULL;
	struct folded_buf b = { .title = title };
	FILE *m = open_memstream(&text, &b.len);
	int err = m ? stacks__write_folded(m, rep->stacks) : -ENOMEM;

	if (m && fclose(m) && !err)
		err = -ENOMEM;
	b.text = text;
	if (err)
		pr_err("cannot fold the stacks: %s", strerror(-err));
	runtitle_format(title, sizeof(title), rep->runtime_path, rep->version,
			(const char *const *)rep->argv, time(NULL));
	err = err ?: write_file(dirfd, dir, "stacks.folded", put_buffer, &b);
	err = err ?: write_file(dirfd, dir, "flamegraph.svg", put_flamegraph, &b);
	free(text);
	return err;
}

/*
 * A reused directory keeps no output of an earlier run that this one does not
 * rewrite: a stale flame graph next to new phases would mislead.
 */
static void remove_stale(int dirfd, const char *const *names)
{
	for (; *names; names++)
		unlinkat(dirfd, *names, 0);
}

/* The stack files (the flame graph, profile.pb.gz), written beside the others on a thread. */
struct stack_writer {
	int dirfd;
	const char *dir;
	const struct report *rep;
	struct pprof *pprof; /* or NULL */
	int err;
};

static void *write_stack_files(void *arg)
{
	static const char *const stack_files[] = { "stacks.folded", "flamegraph.svg",
						   "profile.pb.gz", NULL };
	struct stack_writer *w = arg;

	if (!w->rep->stacks) {
		remove_stale(w->dirfd, stack_files);
		return NULL;
	}
	w->err = write_stacks(w->dirfd, w->dir, w->rep);
	if (w->pprof)
		w->err = write_file(w->dirfd, w->dir, "profile.pb.gz", put_pprof, w->pprof) ?: w->err;
	else
		unlinkat(w->dirfd, "profile.pb.gz", 0);
	return NULL;
}

/*
 * The files take milliseconds each (the flame graph and the timeline most):
 * the runtime is gone and its core is free, so the stack files are written on
 * a second thread while this one writes the rest.
 */
static int write_outputs(struct run *r, const struct report *rep)
{
	static const char *const offcpu_files[] = { "offcpu.folded", "offcpu.svg", NULL };
	struct timeline_input tl = { rep->st, &r->plan, r->events.v, r->events.n,
				     r->profile->name };
	struct stack_writer sw = { r->outdir, r->o.output, rep, r->pprof, 0 };
	int dirfd = r->outdir;
	const char *dir = r->o.output;
	pthread_t tid;
	/* without stacks there is nothing to write beside the rest */
	bool threaded = rep->stacks && !pthread_create(&tid, NULL, write_stack_files, &sw);
	int err;

	if (!threaded)
		write_stack_files(&sw);
	err = write_file(dirfd, dir, "phases.json", put_json, rep);
	err = write_file(dirfd, dir, "trace.json", put_trace, &tl) ?: err;
	err = write_file(dirfd, dir, "timeline.svg", put_timeline, &tl) ?: err;
	if (rep->offcpu)
		err = write_offcpu(dirfd, dir, rep->offcpu) ?: err;
	else
		remove_stale(dirfd, offcpu_files);
	if (threaded)
		pthread_join(tid, NULL);
	err = err ?: sw.err;
	if (err)
		pr_err("the runtime itself exited with status %d", rep->exit_status);
	return err ? -1 : 0;
}

static void *detach_backend(void *b)
{
	backend__detach(b);
	return NULL;
}

static const char *process_name(uint32_t tgid, void *ctx)
{
	const struct run_stats *st = ctx;

	for (size_t i = 0; i < st->nthreads; i++)
		if (st->threads[i].tid == tgid)
			return st->threads[i].comm;
	return NULL;
}

/* Each sampled stack is folded, and with -o goes to profile.pb.gz too. */
struct fold_tee {
	struct stack_fold *f;
	struct pprof *pprof; /* or NULL */
	const struct run_stats *st;
};

static int fold_tee(void *ctx, const struct stack_tuple *t)
{
	struct fold_tee *tee = ctx;
	int err = stacks__fold(tee->f, t);

	if (err || !tee->pprof)
		return err;
	return pprof__add(tee->pprof, t, process_name(t->tgid, (void *)tee->st));
}

/* Name every sampled frame and fold the stacks; NULL when there are none. */
static struct stack_result *collect_stacks(struct run *r, const struct run_stats *st)
{
	struct stack_result *sr = calloc(1, sizeof(*sr));
	struct stack_fold f = { .mm = r->target.mm, .z = r->z, .o = &r->o.stack,
				.process_name = process_name, .ctx = (void *)st };
	uint64_t lost = 0;
	struct fold_tee tee = { &f, NULL, st };
	int err = -ENOMEM;

	/* with -o, the same samples go to profile.pb.gz as they are folded */
	if (r->o.output)
		r->pprof = pprof__new(r->target.mm, r->z, r->o.freq, st->start_ts, st->wall_ns,
				      r->profile->name);
	if (r->o.output && !r->pprof)
		pr_warn("cannot build profile.pb.gz: %s", strerror(errno));
	tee.pprof = r->pprof;
	if (sr && r->z) {
		/* the runtime's symbols are loaded already, for its probe sites */
		for (size_t i = 0; i < r->plan.nsyms; i++)
			symbolizer__lend(r->z, r->plan.syms[i]);
		err = stacks__fold_begin(&f, sr);
		err = err ?: backend__stacks(&r->backend, r->agg, fold_tee, &tee, &lost);
		if (f.buf)
			stacks__fold_end(&f, lost);
	}
	if (err) {
		pr_warn("cannot fold the stack samples: %s", strerror(-err));
		if (sr)
			stacks__free(sr);
		free(sr);
		return NULL;
	}
	return sr;
}

/*
 * The perf maps the profile's perfmap option made the runtime write
 * (/tmp/perf-PID.map) were for naming samples, which is done: remove them
 * rather than leave one in /tmp per run. A map the user asked for with --raw
 * or --option perfmap=off is theirs and stays.
 */
static void remove_perf_maps(struct run *r, const struct run_stats *st)
{
	const struct profile_option *perfmap = profile__option(r->profile, "perfmap");
	char path[64];

	if (r->o.raw || !perfmap || !perfmap->on)
		return;
	for (size_t i = 0; i < st->nthreads; i++) {
		if (st->threads[i].tid != st->threads[i].tgid)
			continue;
		snprintf(path, sizeof(path), "/tmp/perf-%u.map", st->threads[i].tgid);
		unlink(path);
	}
	leftovers__forget_perfmap(r->target.pid);
}

/* -vvv: one event a line, in words, timed from the first event */
static void trace_event(const struct pp_event *e, uint64_t t0)
{
	static const char *const types[] = {
		[PP_EV_EXEC] = "exec",        [PP_EV_FORK] = "fork",
		[PP_EV_EXIT] = "exit",        [PP_EV_SITE] = "site",
		[PP_EV_ONCPU] = "on-cpu",     [PP_EV_OFFCPU] = "off-cpu",
		[PP_EV_MODULE_OPEN] = "module-open", [PP_EV_MODULE_READ] = "module-read",
		[PP_EV_MODULE_CLOSE] = "module-close", [PP_EV_JIT] = "jit",
		[PP_EV_MILESTONE] = "milestone",
	};
	static const char *const acts[] = { "", "opens", "closes", "marks" };
	const char *type = e->type < sizeof(types) / sizeof(types[0]) && types[e->type] ?
				   types[e->type] : "?";
	unsigned act = (e->cookie >> PP_COOKIE_ACTION_SHIFT) & 0xff;

	fprintf(stderr, "phaseprof: event %+10.3f ms %-12s tid %u/%u (%.16s) cpu %u", (e->ts - t0) / 1e6,
		type, e->tgid, e->tid, e->comm, e->cpu);
	if (e->type == PP_EV_SITE || e->type == PP_EV_MILESTONE)
		fprintf(stderr, ": site %llu %s %s%s",
			(unsigned long long)(e->cookie & PP_COOKIE_SITE_MASK),
			act < 4 ? acts[act] : "?",
			phase__name((int)((e->cookie >> PP_COOKIE_PHASE_SHIFT) & 0xff)),
			e->cookie & PP_COOKIE_RETURN ? " (at return)" : "");
	else if (e->type == PP_EV_FORK)
		fprintf(stderr, ": child of tid %u", e->arg);
	else if (e->type == PP_EV_EXIT)
		fprintf(stderr, ": code %u%s", e->arg, e->arg2 ? ", last of its process" : "");
	else if (e->type >= PP_EV_MODULE_OPEN && e->type <= PP_EV_MODULE_CLOSE)
		fprintf(stderr, ": fd %u", e->arg);
	fputc('\n', stderr);
}

static void count_hits(struct run *r)
{
	for (size_t i = 0; i < r->events.n; i++) {
		const struct pp_event *e = &r->events.v[i];

		if (e->type == PP_EV_SITE)
			plan__count_hit(&r->plan, e->cookie);
		if (log_verbosity >= 3)
			trace_event(e, r->events.v[0].ts);
	}
}

static const char *query_version(struct run *r, char *buf, size_t len)
{
	char **vargv = NULL;
	size_t nv;
	int err = profile__expand_version(r->profile, r->path, &vargv, &nv);

	err = err ?: runtime_version(vargv, buf, len);
	profile__free_argv(vargv);
	return err ? NULL : buf;
}

/* The generic fallback's milestones that only the whole run tells (fallback.h). */
static int add_fallback_milestones(struct run *r)
{
	int err = events__reserve(&r->events, 2);

	if (!err)
		r->events.n = fallback__milestones(r->events.v, r->events.n, r->target.pid,
						   r->module_ino != 0);
	return err;
}

/* What the run was, as the target and the backend saw it. */
static void report_target(struct run *r, struct report *rep)
{
	rep->exit_status = exit_code_of(r->target.wait_status, &rep->term_signal);
	rep->lost_events = backend__lost(&r->backend);
	rep->rusage_user_ns = timeval_ns(&r->target.rusage.ru_utime);
	rep->rusage_system_ns = timeval_ns(&r->target.rusage.ru_stime);
	rep->events = r->events.n;
}

static uint64_t truncated_stacks(struct run *r)
{
	struct unwind_stats us;

	if (!r->unwinder)
		return 0;
	unwinder__stats(r->unwinder, &us);
	return us.truncated;
}

/* --syscalls: the kernel's counts, per phase; NULL without them. */
static const struct syscall_report *collect_syscalls(struct run *r, struct syscall_report *sys)
{
	int err;

	if (!r->o.syscalls)
		return NULL;
	err = backend__syscalls(&r->backend, sys);
	if (err) {
		pr_warn("cannot count system calls: %s", strerror(-err));
		syscalls__free(sys);
		return NULL;
	}
	return sys;
}

/* --off-cpu: blocked time by stack and by waker; NULL without it. */
static const struct offcpu_report *collect_offcpu(struct run *r, const struct run_stats *st,
						  struct offcpu_report *off)
{
	struct stack_fold f = { .mm = r->target.mm, .z = r->z, .o = &r->o.stack,
				.process_name = process_name, .ctx = (void *)st };
	int err;

	if (!r->o.offcpu || !r->z)
		return NULL;
	/* without sampling, the runtime's symbols were not lent for it yet */
	for (size_t i = 0; !r->o.freq && i < r->plan.nsyms; i++)
		symbolizer__lend(r->z, r->plan.syms[i]);
	err = stacks__fold_begin(&f, &off->stacks);
	err = err ?: backend__offcpu(&r->backend, stacks__fold, &f, off);
	if (f.buf)
		stacks__fold_end(&f, 0);
	if (err) {
		pr_warn("cannot fold the off-CPU time: %s", strerror(-err));
		offcpu__free(off);
		return NULL;
	}
	offcpu__finish(off);
	return off;
}

/* What phaseprof cost: counted here, and the BPF programs' time from the kernel. */
static const struct self_cost *measure_cost(struct run *r, const struct run_stats *st,
					    const struct stack_result *stacks)
{
	struct self_cost *c = &r->cost;
	int err;

	c->samples = stacks ? stacks->total : 0;
	c->events = r->events.n;
	c->run_cpu_ns = st->cpu_ns;
	if (r->stats_fd > 0) {
		err = backend__own_cost(&r->backend, c);
		if (err)
			pr_debug("cannot read the BPF programs' statistics: %s", strerror(-err));
		close(r->stats_fd);
		r->stats_fd = 0;
	}
	return c;
}

/* Beyond the phase table: phaseprof's cost, and what --syscalls and --off-cpu saw. */
struct why {
	struct syscall_report sys;
	struct offcpu_report off;
};

static void collect_why(struct run *r, const struct run_stats *st,
			const struct stack_result *stacks, struct why *w, struct report *rep)
{
	rep->cost = measure_cost(r, st, stacks);
	rep->syscalls = collect_syscalls(r, &w->sys);
	rep->offcpu = collect_offcpu(r, st, &w->off);
}

static int finish(struct run *r, int run_err)
{
	struct fallback_view fview;
	struct why why = { 0 };
	pthread_t detacher;
	bool detaching;
	struct run_stats st;
	struct stack_result *stacks = NULL;
	char build_id[128];
	struct report rep = { .profile = r->profile, .runtime_path = r->path, .argv = r->argv,
			      .plan = &r->plan, .st = &st, .freq = r->o.freq };
	int ret;

	report_target(r, &rep);
	rep.module_kind = module_kind_name(r->module_kind);
	count_hits(r);
	if ((r->fallback && add_fallback_milestones(r)) ||
	    phases__compute(r->events.v, r->events.n, r->target.pid, &st)) {
		pr_err("cannot compute phases: out of memory");
		return PP_EXIT_FAILURE;
	}
	if (!elf_build_id(r->path, build_id, sizeof(build_id)))
		rep.build_id = build_id;
	if (r->fallback) {
		fallback__view(r->events.v, r->events.n, st.start_ts, &fview);
		rep.fallback = &fview;
		rep.fallback_why = r->fallback_why;
		rep.module = r->module[0] ? r->module : NULL;
	}
	/* a backend that must detach itself does so (a grace period) while we report */
	detaching = !backend__goes_with_fds(&r->backend) &&
		    !pthread_create(&detacher, NULL, detach_backend, &r->backend);
	step_done("runtime exited, phases computed");
	join_background(r);
	rep.version = r->version_ok ? r->version : NULL;
	if (r->o.freq)
		rep.stacks = stacks = collect_stacks(r, &st);
	remove_perf_maps(r, &st);
	step_done("stacks folded");
	rep.call_graph = r->dwarf ? "dwarf" : "fp";
	rep.backend = r->backend.ops ? r->backend.ops->name : NULL;
	collect_why(r, &st, stacks, &why, &rep);
	rep.truncated_stacks = truncated_stacks(r);
	rep.stack_copy = r->stack_copy;
	rep.stack_copy_grew = !r->o.stack_copy_given && r->stack_copy > FIRST_STACK_COPY;
	if (run_err)
		pr_err("lost track of the runtime half way (%s); reporting what was seen",
		       strerror(-run_err));
	if (!st.started)
		pr_warn("the runtime's exec was never seen; no phases to report");
	report__table(stderr, &rep);
	step_done("table printed");
	ret = r->outdir >= 0 ? write_outputs(r, &rep) : 0;
	step_done("output files written");
	phases__free(&st);
	syscalls__free(&why.sys);
	offcpu__free(&why.off);
	if (stacks)
		stacks__free(stacks);
	free(stacks);
	if (detaching)
		pthread_join(detacher, NULL);
	step_done("report written");
	return ret || run_err ? PP_EXIT_FAILURE : rep.exit_status;
}

/*
 * The module among the arguments: what kind it is (AOT code or a module to
 * interpret or compile), for the report, and whether it imports WASI, which
 * some runtimes must be told. Unknown (not a binary module) imports nothing.
 */
static bool module_imports_wasi(struct run *r)
{
	char path[PATH_MAX];
	uint64_t ino;

	if (fallback__module(r->o.args, r->o.nargs, r->o.module, path, sizeof(path), &ino))
		return false;
	r->module_kind = wasm_file_kind(path);
	return wasm_file_imports_wasi(path) == 1;
}

/*
 * An option the binary was built without (`unsupported NAME TEXT`) cannot run
 * this module: say so before the run instead of letting the runtime fail.
 */
static int check_supported(struct run *r)
{
	for (size_t i = 0; i < r->profile->noptions; i++) {
		const struct profile_option *opt = &r->profile->options[i];

		if (!opt->on || !opt->unsupported_text ||
		    file_contains(r->path, opt->unsupported_text) != 1)
			continue;
		pr_err("cannot run this module with %s: it needs option '%s' (%s), and this build "
		       "lacks it (the binary says \"%s\"); use a build that has it, or another "
		       "runtime",
		       r->path, opt->name, opt->when == OPTION_IF_WASI ? "the module imports WASI" :
		       opt->when == OPTION_IF_NOT_WASI ? "the module does not import WASI" :
		       "turned on", opt->unsupported_text);
		return PP_EXIT_FAILURE;
	}
	return 0;
}

/*
 * Phases whose sites did not resolve are left out, the others kept: say which
 * before the run. --no-fallback asks for every phase or nothing.
 */
static int warn_unresolved(struct run *r)
{
	for (int p = 0; p < PP_PHASE_COUNT; p++) {
		const char *why = plan__unresolved(&r->plan, p);

		if (!why)
			continue;
		if (r->o.no_fallback) {
			pr_err("%s", why);
			return PP_EXIT_NO_SYMBOL;
		}
		pr_warn("phase %s will be reported unresolved: %s", phase__name(p), why);
	}
	return 0;
}

/* The profile's sites resolved, and the command line built from its template. */
static int plan_run(struct run *r)
{
	struct syms_opts so = { r->o.debuginfo, r->o.ndebuginfo };
	char err[2048] = "";
	int ret = 0;

	if (!r->fallback && !r->plan_cached) {
		ret = plan__build(r->profile, r->path, &so, &r->plan, err, sizeof(err));
		if (!ret)
			plancache__save(&r->plan, r->profile, r->path, &so);
	}

	if (ret && ret != -ENOMEM && !r->o.probes && !r->o.no_fallback) {
		/* a profile chosen by name that does not fit this build: fall back, and say why */
		plan__free(&r->plan);
		r->fallback = true;
		snprintf(r->fallback_why, sizeof(r->fallback_why), "%s", err[0] ? err : strerror(-ret));
		ret = 0;
	}
	if (ret) {
		pr_err("%s", err[0] ? err : strerror(-ret));
		return ret == -ENOMEM ? PP_EXIT_FAILURE : PP_EXIT_NO_SYMBOL;
	}
	ret = r->fallback ? 0 : warn_unresolved(r);
	if (ret)
		return ret;
	if (r->o.raw) {
		r->argv = calloc(r->o.nargs + 2, sizeof(char *));
		if (!r->argv)
			return PP_EXIT_FAILURE;
		r->argv[0] = strdup(r->path);
		for (size_t i = 0; i < r->o.nargs; i++)
			r->argv[i + 1] = strdup(r->o.args[i]);
		return 0;
	}
	profile__choose_options(r->profile, module_imports_wasi(r));
	ret = apply_profile_options(r->profile, &r->o) ?: check_supported(r);
	if (ret)
		return ret;
	if (profile__expand_argv(r->profile, r->path, r->o.args, r->o.nargs, &r->argv, &r->nargv)) {
		pr_err("cannot build the command line from %s", r->profile->path);
		return PP_EXIT_PROBE_FILE;
	}
	return 0;
}

/* A file whose functions mostly skip the frame pointer, and that has CFI to unwind with. */
static bool needs_cfi(const char *path)
{
	struct frame_info fi;

	if (elf_frame_info(path, &fi) || !fi.has_cfi || fi.functions < 20)
		return false;
	pr_debug("%s: %zu of %zu functions set up a frame pointer", path, fi.with_frame_pointer,
		 fi.functions);
	return fi.with_frame_pointer * 2 < fi.functions;
}

/*
 * Unwind with DWARF when asked, or (auto) when the runtime's code keeps no
 * frame pointers: the C library every stack passes through (Debian's glibc
 * has none, and a walk that meets malloc stops there), or the binary itself.
 * The C library first: it answers in 0.3 ms, where node's 100 MB take 3.5.
 */
static bool wants_dwarf(struct run *r)
{
	char libc[PATH_MAX];

	if (!r->o.freq || r->o.call_graph == CG_FP)
		return false;
	if (r->o.call_graph == CG_DWARF)
		return true;
	return (!library_locate("libc.so.6", r->path, libc, sizeof(libc)) && needs_cfi(libc)) ||
	       needs_cfi(r->path);
}

static bool adapting(const struct run *r)
{
	return !r->o.stack_copy_given && r->stack_copy < r->o.stack_copy &&
	       r->settled < SETTLED_SAMPLES;
}

/*
 * A sample cut short by the copy, not by its stack's end, makes later ones
 * copy more. While the size may still grow, samples are read as they come
 * (a sample read late was copied at the old size, as all before it).
 */
static void adapt_stack_copy(struct run *r, bool cut_by_copy)
{
	if (!adapting(r))
		return;
	r->settled++;
	if (cut_by_copy) {
		r->stack_copy = r->stack_copy * 2 < r->o.stack_copy ? r->stack_copy * 2 :
								      r->o.stack_copy;
		r->settled = 0;
		backend__set_stack_copy(&r->backend, r->stack_copy);
		pr_debug("a stack went deeper than the copy: %u bytes a sample from now",
			 r->stack_copy);
	}
	if (!adapting(r))
		backend__drain_often(&r->backend, false);
}

static void unwind_sample(void *ctx, const struct pp_stack_sample *sample)
{
	struct run *r = ctx;
	struct unwind_regs regs = { sample->ip, sample->sp, sample->bp, sample->bx,
				    sample->r12, sample->r13, sample->r14, sample->r15 };
	uint64_t ips[PP_MAX_STACK_DEPTH];
	enum unwind_stop stop;
	struct unwind_hidden hidden = { (const uint64_t *)sample->ret_slot,
					(const uint64_t *)sample->ret_orig,
					sample->nret < PP_MAX_RET_INSTANCES ? sample->nret :
									      PP_MAX_RET_INSTANCES };
	int n = unwinder__unwind_hidden(r->unwinder, r->target.mm, sample->key.tgid, &regs, sample->data,
					sample->size, &hidden, ips, PP_MAX_STACK_DEPTH, &stop);

	if (log_verbosity >= 3)
		fprintf(stderr, "phaseprof: stack sample tid %u: ip 0x%llx sp 0x%llx, %u bytes of "
				"stack copied, %d frames unwound (%s)\n",
			sample->tid, (unsigned long long)sample->ip, (unsigned long long)sample->sp,
			sample->size, n, stop == UNWIND_END ? "complete" : "cut short");

	if (stack_agg__add(r->agg, &sample->key, ips, n > 0 ? n : 0, stop == UNWIND_END))
		r->unwind_failed++;
	adapt_stack_copy(r, stop == UNWIND_TRUNCATED && sample->size >= r->stack_copy);
}

/* DWARF mode: an unwinder and a table of stacks, fed as samples arrive. */
static int prepare_unwinding(struct run *r)
{
	if (!r->dwarf || !r->o.freq)
		return 0;
	backend__drain_often(&r->backend, adapting(r));
	r->unwinder = unwinder__new();
	r->agg = stack_agg__new();
	if (!r->unwinder || !r->agg) {
		pr_err("cannot unwind stacks: out of memory");
		return PP_EXIT_FAILURE;
	}
	return 0;
}

/*
 * BPF is not there for us (not permitted, not built in): the perf backend can
 * stand in. A program the verifier refuses is phaseprof's bug, not the
 * machine's: that is an error, never a quiet switch to a backend without stacks.
 */
static bool bpf_unavailable(int err)
{
	return err == -EPERM || err == -ENOSYS || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */;
}

/* No profile names the runtime, or --generic: run it with the built-in generic profile. */
static int choose_fallback(struct run *r, bool no_profile)
{
	const char *base = strrchr(r->path, '/') + 1;

	if (no_profile) {
		if (fallback__profile(&r->profile))
			return PP_EXIT_FAILURE;
		snprintf(r->fallback_why, sizeof(r->fallback_why),
			 "no profile names a binary called '%s'", base);
	} else {
		snprintf(r->fallback_why, sizeof(r->fallback_why), "--generic");
	}
	r->fallback = true;
	return 0;
}

/*
 * Work the report needs that can run before the runtime does, so it adds no
 * time after: kernel symbols for naming samples, the runtime's version (asked
 * now: exec'ing the runtime while its uprobes come down would wait for them),
 * and the symbols of the libraries the runtime needs (libc, libstdc++, ...),
 * which would otherwise load at their first frame after it exits.
 */
static void *background(void *arg)
{
	struct run *r = arg;
	int n;

	if (r->z)
		symbolizer__load_kernel(r->z);
	/* a plan from the cache loaded no symbols: the runtime's are needed to name samples */
	if (r->z && r->plan_cached)
		symbolizer__load_file(r->z, r->path);
	r->version_ok = query_version(r, r->version, sizeof(r->version)) != NULL;
	/* not while the BPF programs load: that is on the way to the runtime's start */
	if (r->z && r->background_started)
		while (sem_wait(&r->runtime_running) && errno == EINTR)
			;
	n = r->z ? symbolizer__load_needed(r->z, r->path) : 0;
	if (n < 0)
		pr_debug("cannot list the libraries of %s: %s", r->path, strerror(-n));
	return NULL;
}

static void start_background(struct run *r)
{
	sem_init(&r->runtime_running, 0, 0);
	r->background_started = !pthread_create(&r->background_tid, NULL, background, r);
	if (!r->background_started)
		background(r);
}

/* The runtime runs: background() may go on with what would slow its start. */
static void background_runtime_running(struct run *r)
{
	if (r->background_started)
		sem_post(&r->runtime_running);
}

static void join_background(struct run *r)
{
	if (r->background_started) {
		sem_post(&r->runtime_running); /* a run that ended before the runtime ran */
		pthread_join(r->background_tid, NULL);
		sem_destroy(&r->runtime_running);
	}
	r->background_started = false;
}

/* Symbols resolve while the kernel verifies the BPF programs: the two dominate start-up. */
static int prepare(struct run *r)
{
	struct bpf_loader loader = { .r = r };
	bool threaded, loaded_fallback;
	int ret = target__spawn(&r->target);

	if (ret) {
		pr_err("cannot fork the runtime's process: %s", strerror(-ret));
		return PP_EXIT_FAILURE;
	}
	ret = cmd_locate_runtime(r->o.runtime, r->path, sizeof(r->path));

	ret = ret ?: cmd_load_profile(r->o.probes, r->path, r->o.no_fallback, &r->profile);
	if ((ret == PP_EXIT_NO_PROFILE && !r->o.no_fallback) || (!ret && r->o.generic))
		ret = choose_fallback(r, ret == PP_EXIT_NO_PROFILE);
	if (!ret && r->o.backend && !strcmp(r->o.backend, "perf"))
		return plan_run(r) ?: open_backend(r, &perf_backend_ops, NULL);
	ret = ret ?: check_kernel(r->o.btf);
	if (!ret)
		r->dwarf = wants_dwarf(r);
	r->stack_copy = r->o.stack_copy_given ? r->o.stack_copy : FIRST_STACK_COPY;
	if (ret == PP_EXIT_NO_BTF && !(r->o.backend && !strcmp(r->o.backend, "bpf")))
		return plan_run(r) ?: open_backend(r, &perf_backend_ops, "no kernel BTF");
	if (ret)
		return ret;
	step_done("runtime and profile found");
	if (r->o.freq || r->o.offcpu) {
		struct syms_opts so = { r->o.debuginfo, r->o.ndebuginfo };

		r->z = symbolizer__new(&so);
	}
	if (!r->fallback) {
		struct syms_opts so = { r->o.debuginfo, r->o.ndebuginfo };

		r->plan_cached = !plancache__load(&r->plan, r->profile, r->path, &so);
	}
	start_background(r);
	start_following_maps(r);
	loaded_fallback = r->fallback;
	threaded = !pthread_create(&loader.tid, NULL, load_bpf, &loader);
	if (!threaded)
		load_bpf(&loader);
	ret = plan_run(r);
	step_done("probe sites resolved");
	if (threaded)
		pthread_join(loader.tid, NULL);
	/* the profile did not fit and the fallback stands in: its programs were not loaded */
	if (!ret && !loader.err && r->fallback && !loaded_fallback) {
		backend__close(&r->backend);
		load_bpf(&loader);
	}
	step_done("BPF programs loaded");
	if (!ret && bpf_unavailable(loader.err) && !(r->o.backend && !strcmp(r->o.backend, "bpf"))) {
		backend__close(&r->backend);
		return open_backend(r, &perf_backend_ops, strerror(-loader.err));
	}
	if (!ret && loader.err)
		ret = bpf_load_error(loader.err);
	return ret;
}

/* -o DIR is made and checked before anything runs: an output error never costs a run. */
static int open_output(struct run *r)
{
	int err;

	r->outdir = -1;
	if (!r->o.output)
		return 0;
	r->outdir = outdir_open(r->o.output);
	err = r->outdir < 0 ? r->outdir : outdir_check_writable(r->outdir);
	if (!err)
		return 0;
	pr_err("cannot use '%s' for output: %s; choose a directory you can write to",
	       r->o.output, strerror(-err));
	return PP_EXIT_FAILURE;
}

/* Everything a run holds but its links and its target (after an error: see cmd_record()). */
static void free_run(struct run *r)
{
	events__free(&r->events);
	join_background(r);
	unwinder__free(r->unwinder);
	stack_agg__free(r->agg);
	pprof__free(r->pprof);
	symbolizer__free(r->z);
	plan__free(&r->plan);
	profile__free(r->profile);
	profile__free_argv(r->argv);
}

/*
 * The user has the report; the probes' grace period is paid after we exit, by
 * a keeper process that holds the links.
 */
static void hand_over_links(struct run *r)
{
	if (backend__goes_with_fds(&r->backend) && backend__detach_after_exit(&r->backend))
		backend__detach(&r->backend);
	step_done("probes come down as phaseprof exits");
}

int cmd_record(int argc, char **argv)
{
	struct run r = { 0 };
	bool done;
	int ret = parse_record_opts(argc, argv, &r.o, &done);

	if (ret || done)
		return ret;
	target__init(&r.target);
	libbpf_set_print(libbpf_print);
	/* first: the grace period it starts runs while everything else prepares */
	if (!r.o.generic && !(r.o.backend && !strcmp(r.o.backend, "perf")))
		uprobe_warm__start();
	leftovers__sweep();
	step_done("start");
	ret = open_output(&r);
	ret = ret ?: prepare(&r);
	if (!ret)
		ret = start_runtime(&r);
	if (!ret) {
		ret = finish(&r, backend__run(&r.backend, take_pending_signal));
		hand_over_links(&r);
		backend__close(&r.backend); /* the perf backend's tracefs group goes here */
		/*
		 * phaseprof exits now: the kernel takes its memory back at once, where
		 * free() would walk every symbol (10 ms for node), and after the fork
		 * copy every page it touched.
		 */
		return ret;
	}
	uprobe_warm__discard(); /* the run ended before its probes were armed */
	backend__close(&r.backend);
	join_following_maps(&r);
	target__close(&r.target);
	free_run(&r);
	if (r.stats_fd > 0)
		close(r.stats_fd);
	if (r.outdir >= 0)
		close(r.outdir);
	return ret;
}
