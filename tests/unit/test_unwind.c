// SPDX-License-Identifier: MIT
/*
 * test_unwind.c: unwind real samples of this process. The chain in
 * tests/fixtures/unwind_chain.c (built -O2 -fomit-frame-pointer) is sampled
 * at every depth, before and after each call, on the main thread, on a
 * pthread, and under a frame-pointer "JIT" trampoline in anonymous memory;
 * each sample must unwind to exactly the chain, up to _start or the thread's
 * start. Samples from a CPU timer's signal handler, wherever the chain was
 * interrupted, go through the kernel's signal frame (CFI expressions), and
 * from clock_gettime() through the vDSO. A sample in a PLT stub checks the
 * PLT's CFA expression. `test_unwind --bench [N]` replays the samples N times
 * (100000) and prints the time, CFI loading included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "mmaps.h"
#include "syms.h"
#include "unwind.h"
#include "unwind_chain.h"

#define NOINLINE __attribute__((noinline))
#define MAX_FRAMES 256
#define MAX_NAMES 128
#define SIGNAL_SAMPLES 100

enum kind { K_MAIN, K_THREAD, K_JIT, K_SIGNAL, K_VDSO };

struct capture {
	int at, point;
	enum kind kind;
};

static struct uc_sample *samples;
static struct capture *caps;
static int ncaps, capcap;

/* push rbp; mov rbp, rsp; call *rsi; pop rbp; ret: JIT code keeps frame pointers, has no CFI */
static const uint8_t trampoline[] = { 0x55, 0x48, 0x89, 0xe5, 0xff, 0xd6, 0x5d, 0xc3 };
typedef void (*jit_fn)(void *arg, void (*fn)(struct uc_ctx *));
static jit_fn jit;

static struct uc_ctx *next_ctx(int at, int point, enum kind kind, uint64_t stack_end,
			       struct uc_ctx *c)
{
	if (ncaps == capcap)
		return NULL;
	caps[ncaps] = (struct capture){ at, point, kind };
	*c = (struct uc_ctx){ .at = at, .point = point, .stack_end = stack_end,
			      .out = &samples[ncaps++] };
	return c;
}

static NOINLINE void collect(enum kind kind, uint64_t stack_end)
{
	struct uc_ctx c;

	for (int at = 1; at <= UC_AT_MAX; at++)
		for (int point = 0; point < 2; point++)
			if (next_ctx(at, point, kind, stack_end, &c))
				uc_run(&c);
}

static NOINLINE void collect_jit(uint64_t stack_end)
{
	struct uc_ctx c;

	for (int at = 1; at <= UC_AT_MAX; at++)
		if (next_ctx(at, at & 1, K_JIT, stack_end, &c))
			jit(&c, uc_run);
}

static struct uc_ctx sig_ctx;
static volatile int nsig;
static enum kind sig_kind;
static int nvdso; /* samples that went through the vDSO */

static void on_prof(int sig)
{
	if (nsig >= SIGNAL_SAMPLES || ncaps == capcap)
		return;
	caps[ncaps] = (struct capture){ 0, 0, sig_kind };
	sig_ctx.out = &samples[ncaps++];
	uc_capture(&sig_ctx);
	nsig++; /* after the call: on_prof stays a frame */
}

static void timer(uint64_t stack_end, enum kind kind, bool on)
{
	struct itimerval every = { { 0, 1000 }, { 0, 1000 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = on ? on_prof : SIG_IGN };

	sig_ctx.stack_end = stack_end;
	sig_kind = kind;
	nsig = 0;
	sigaction(SIGPROF, &sa, NULL);
	setitimer(ITIMER_PROF, on ? &every : &off, NULL);
}

/* Samples from a CPU timer, wherever the chain is when it fires. */
static NOINLINE void collect_signal(uint64_t stack_end)
{
	struct uc_ctx c = { .spin = 2000 };
	time_t deadline = time(NULL) + 10;

	timer(stack_end, K_SIGNAL, true);
	while (nsig < SIGNAL_SAMPLES && time(NULL) < deadline)
		uc_run(&c);
	timer(stack_end, K_SIGNAL, false);
}

/* Samples from a CPU timer in clock_gettime(): in libc and in the vDSO, which is no file. */
static NOINLINE void collect_vdso(uint64_t stack_end)
{
	time_t deadline = time(NULL) + 10;
	struct timespec ts;

	timer(stack_end, K_VDSO, true);
	while (nsig < SIGNAL_SAMPLES / 2 && time(NULL) < deadline)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	timer(stack_end, K_VDSO, false);
}

static void *thread_main(void *arg)
{
	collect(K_THREAD, *(uint64_t *)arg);
	return NULL;
}

/* The main thread's samples, a thread's (on a stack of known end), and the JIT's. */
static int take_samples(void)
{
	const struct mapping *stack;
	struct mmaps *mm = mmaps__from_proc(getpid());
	pthread_attr_t attr;
	pthread_t t;
	size_t tsize = 1 << 20;
	void *tstack = NULL, *code;
	uint64_t end;
	int here;

	capcap = 3 * 2 * UC_AT_MAX + 2 * SIGNAL_SAMPLES;
	samples = calloc(capcap, sizeof(*samples));
	caps = calloc(capcap, sizeof(*caps));
	stack = mm ? mmaps__find(mm, getpid(), (uintptr_t)&here) : NULL;
	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	if (!samples || !caps || !stack || code == MAP_FAILED ||
	    posix_memalign(&tstack, 4096, tsize))
		return -ENOMEM;
	end = stack->end;
	mmaps__free(mm);
	memcpy(code, trampoline, sizeof(trampoline));
	jit = (jit_fn)code;
	collect(K_MAIN, end);
	collect_jit(end);
	collect_signal(end);
	collect_vdso(end);

	end = (uintptr_t)tstack + tsize;
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, tstack, tsize);
	if (pthread_create(&t, &attr, thread_main, &end))
		return -errno;
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
	return 0;
}

/* The chain below uc_run down to at (UC_AT_MAX: all of it), innermost first. */
static int chain(int at, const char **v)
{
	/* "uc_f" and up to 10 digits: the compiler cannot see that l <= UC_LEVELS */
	static char level[UC_LEVELS + 1][16];
	int n = 0, depth = at > UC_LEVELS ? at - UC_LEVELS : 0;

	if (at == UC_AT_MAX) {
		v[n++] = "uc_leaf";
		depth = UC_DEPTH;
	}
	for (int i = 0; i < depth; i++)
		v[n++] = "uc_rec";
	for (int l = at < UC_LEVELS ? at : UC_LEVELS; l >= 1; l--) {
		snprintf(level[l], sizeof(level[l]), "uc_f%02d", l);
		v[n++] = level[l];
	}
	return n;
}

/* The frames of the executable a sample must unwind to, innermost first. A signal's sample
 * can come from anywhere in the chain: it must unwind to a suffix of this. */
static int expected(const struct capture *c, const char **v)
{
	static const char *const collector[] = { "collect", "collect", "collect_jit",
						  "collect_signal", "collect_vdso" };
	int n = 0;

	v[n++] = "uc_capture";
	if (c->kind == K_SIGNAL || c->kind == K_VDSO)
		v[n++] = "on_prof";
	if (c->kind != K_VDSO) {
		n += chain(c->kind == K_SIGNAL ? UC_AT_MAX : c->at, v + n);
		v[n++] = "uc_run";
	}
	v[n++] = collector[c->kind];
	v[n++] = c->kind == K_THREAD ? "thread_main" : "main";
	if (c->kind != K_THREAD)
		v[n++] = "_start";
	return n;
}

struct names {
	struct syms *exe;
	const struct mmaps *mm;
	char exe_path[4096];
	uint64_t plt, plt_size; /* the executable's .plt at run time: stubs have no symbols */
};

/* Where the executable's .plt is, at run time: link-time address plus the load bias. */
static uint64_t plt_address(const struct names *nm, uint64_t *size)
{
	const struct mapping *map = mmaps__find(nm->mm, getpid(), (uintptr_t)uc_run);
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	uint64_t plt = 0, vaddr;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf && map && !elf_getshdrstrndx(elf, &shstrndx) &&
	    !syms__vaddr_of_offset(nm->exe, (uintptr_t)uc_run - map->start + map->pgoff, &vaddr)) {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && !strcmp(name, ".plt")) {
				plt = sh.sh_addr + ((uintptr_t)uc_run - vaddr);
				*size = sh.sh_size;
			}
		}
	}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return plt;
}

/* "[anon]" for anonymous code, "[other]" for other files, else the exe's symbol. */
static const char *frame_name(const struct names *nm, uint64_t ip)
{
	const struct mapping *map = mmaps__find(nm->mm, getpid(), ip);
	const struct sym *s;
	uint64_t vaddr, off;

	if (!map)
		return "[none]";
	if (!strcmp(map->path, "//anon"))
		return "[anon]";
	if (!strcmp(map->path, "[vdso]"))
		return "[vdso]";
	if (strcmp(map->path, nm->exe_path))
		return "[other]";
	if (syms__vaddr_of_offset(nm->exe, ip - map->start + map->pgoff, &vaddr))
		return "[bad offset]";
	if (ip - nm->plt < nm->plt_size)
		return "[plt]";
	s = syms__find(nm->exe, vaddr, &off);
	return s ? syms__short_name(nm->exe, s) : "[no symbol]";
}

/* Whether sample i unwinds to exactly its chain and ends at the outermost frame. */
static bool unwinds_right(struct unwinder *u, const struct names *nm, int i, bool verbose)
{
	const char *want[MAX_NAMES], *got[MAX_FRAMES];
	uint64_t ips[MAX_FRAMES];
	enum unwind_stop stop;
	int nwant = expected(&caps[i], want), ngot = 0, nanon = 0;
	int n = unwinder__unwind(u, nm->mm, getpid(), &samples[i].regs, samples[i].stack,
				 samples[i].len, ips, MAX_FRAMES, &stop);
	bool ok;

	bool sig = caps[i].kind == K_SIGNAL, after_trampoline = false, vdso = false;

	for (int f = 0; f < n; f++) {
		/* the interrupted pc after the kernel's signal frame is exact */
		bool exact = f == 0 || (sig && after_trampoline && ngot == 2);
		const char *name = frame_name(nm, ips[f] - !exact);

		after_trampoline = !strcmp(name, "[other]");
		nanon += !strcmp(name, "[anon]");
		vdso |= !strcmp(name, "[vdso]");
		if (name[0] != '[')
			got[ngot++] = name;
	}
	ok = stop == UNWIND_END && (sig ? ngot > 4 && ngot <= nwant : ngot == nwant) &&
	     nanon == (caps[i].kind == K_JIT);
	for (int f = 0; ok && f < ngot; f++)
		ok = !strcmp(got[f], want[f < 2 || !sig ? f : nwant - ngot + f]);
	nvdso += ok && vdso;
	if (!ok && verbose) {
		fprintf(stderr, "sample %d (kind %d at %d point %d): stop %d, %d frames:", i,
			caps[i].kind, caps[i].at, caps[i].point, stop, n);
		for (int f = 0; f < n; f++)
			fprintf(stderr, " %s", frame_name(nm, ips[f] - (f > 0)));
		fprintf(stderr, "\n");
	}
	return ok;
}

/* A frame-pointer walk of the same sample: how far it gets without CFI. */
static bool fp_reaches_main(const struct names *nm, int i)
{
	const struct uc_sample *s = &samples[i];
	uint64_t bp = s->regs.bp, ip;

	for (int f = 0; f < MAX_FRAMES; f++) {
		if (bp < s->regs.sp || bp - s->regs.sp + 16 > s->len)
			return false;
		memcpy(&ip, s->stack + (bp - s->regs.sp + 8), 8);
		if (!strcmp(frame_name(nm, ip - 1), "main"))
			return true;
		memcpy(&bp, s->stack + (bp - s->regs.sp), 8);
	}
	return false;
}

static void test_chains(struct unwinder *u, const struct names *nm)
{
	int right = 0, fp_main = 0, shown = 0, cut = 0;

	for (int i = 0; i < ncaps; i++) {
		bool ok = unwinds_right(u, nm, i, shown < 5);

		cut += samples[i].len == UC_STACK;
		right += ok;
		shown += !ok;
		fp_main += caps[i].kind == K_MAIN && fp_reaches_main(nm, i);
	}
	printf("unwind: %d of %d samples unwound to exactly their chain (%.1f%%), %d through the "
	       "vDSO; frame pointers reach main in %d\n",
	       right, ncaps, 100.0 * right / ncaps, nvdso, fp_main);
	CHECK(ncaps >= 200);
	/* the harness copied every stack whole: a cut copy would fail the unwinder for nothing */
	CHECK_INT(cut, 0);
	CHECK(right * 100 >= ncaps * 95);
	CHECK(nvdso > 0);
	/* -fomit-frame-pointer took effect: a frame-pointer walk is lost in the chain */
	CHECK_INT(fp_main, 0);
}

static void test_stops(struct unwinder *u, const struct names *nm)
{
	const struct uc_sample *deep = &samples[2 * UC_AT_MAX - 2]; /* main thread, in uc_leaf */
	struct unwind_regs regs = deep->regs;
	enum unwind_stop stop;
	uint64_t ips[MAX_FRAMES];
	int full, n;

	full = unwinder__unwind(u, nm->mm, getpid(), &deep->regs, deep->stack, deep->len, ips,
				MAX_FRAMES, &stop);
	CHECK_INT(stop, UNWIND_END);
	CHECK(full > UC_LEVELS + UC_DEPTH);
	n = unwinder__unwind(u, nm->mm, getpid(), &deep->regs, deep->stack, 512, ips, MAX_FRAMES,
			     &stop);
	CHECK_INT(stop, UNWIND_TRUNCATED);
	CHECK(n > 1 && n < full);
	n = unwinder__unwind(u, nm->mm, getpid(), &deep->regs, deep->stack, 0, ips, MAX_FRAMES,
			     &stop);
	CHECK_INT(stop, UNWIND_TRUNCATED);
	CHECK_INT(n, 1);
	n = unwinder__unwind(u, nm->mm, getpid(), &deep->regs, deep->stack, deep->len, ips, 10,
			     &stop);
	CHECK_INT(stop, UNWIND_LIMIT);
	CHECK_INT(n, 10);
	regs.ip = 0;
	n = unwinder__unwind(u, nm->mm, getpid(), &regs, deep->stack, deep->len, ips, MAX_FRAMES,
			     &stop);
	CHECK_INT(stop, UNWIND_END);
	CHECK_INT(n, 0);
	/* no mapping and a frame pointer outside the stack */
	regs = deep->regs;
	regs.ip = 0x10;
	regs.bp = 1;
	n = unwinder__unwind(u, nm->mm, getpid(), &regs, deep->stack, deep->len, ips, MAX_FRAMES,
			     &stop);
	CHECK_INT(stop, UNWIND_NO_INFO);
	CHECK_INT(n, 1);
}

/*
 * A sample taken in a PLT entry, whose CFA is a DWARF expression of rsp and rip: as
 * if uc_capture had just called through the first entry (at its jmp, and at the jmp
 * to PLT0 after the push of the relocation index), the walk is one frame longer.
 */
static void test_plt(struct unwinder *u, const struct names *nm)
{
	static struct uc_sample t;
	const struct uc_sample *s = &samples[0];
	uint64_t ips0[MAX_FRAMES], ips[MAX_FRAMES], size = nm->plt_size;
	uint64_t plt = nm->plt;
	enum unwind_stop stop0, stop;
	int n0, n;

	CHECK(plt != 0 && size >= 32);
	if (!plt || size < 32)
		return;
	n0 = unwinder__unwind(u, nm->mm, getpid(), &s->regs, s->stack, s->len, ips0, MAX_FRAMES,
			      &stop0);
	for (int pushed = 0; pushed < 2; pushed++) {
		size_t extra = 8 * (pushed + 1);
		uint64_t words[2] = { pushed ? 3 : s->regs.ip, s->regs.ip };

		t.regs = s->regs;
		t.regs.sp -= extra;
		t.regs.ip = plt + 16 + (pushed ? 11 : 0);
		t.len = s->len + extra < UC_STACK ? s->len + extra : UC_STACK;
		memcpy(t.stack, words, extra);
		memcpy(t.stack + extra, s->stack, t.len - extra);
		n = unwinder__unwind(u, nm->mm, getpid(), &t.regs, t.stack, t.len, ips, MAX_FRAMES,
				     &stop);
		CHECK_INT(stop, stop0);
		CHECK_INT(n, n0 + 1);
		CHECK(n > 1 && ips[1] == s->regs.ip && !memcmp(ips + 1, ips0, n0 * sizeof(*ips)));
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Replay the samples to n unwinds with a fresh unwinder: CFI loading is in the time. */
static int bench(const struct mmaps *mm, long n)
{
	struct unwinder *u = unwinder__new();
	struct unwind_stats st;
	uint64_t ips[MAX_FRAMES];
	enum unwind_stop stop;
	double t0, t1, t2;

	if (!u)
		return 1;
	t0 = now();
	for (int i = 0; i < ncaps; i++)
		unwinder__unwind(u, mm, getpid(), &samples[i].regs, samples[i].stack,
				 samples[i].len, ips, MAX_FRAMES, &stop);
	t1 = now();
	for (long i = ncaps; i < n; i++) {
		const struct uc_sample *s = &samples[i % ncaps];

		unwinder__unwind(u, mm, getpid(), &s->regs, s->stack, s->len, ips, MAX_FRAMES,
				 &stop);
	}
	t2 = now();
	unwinder__stats(u, &st);
	printf("unwind_bench: %lu samples (%d distinct), %lu frames (%.1f a sample), %.3f s "
	       "(%.2f us a sample); first pass with CFI loading %.1f ms; %lu files, "
	       "%lu cfi steps (%lu cached), %lu fp steps, %lu truncated\n",
	       st.samples, ncaps, st.frames, (double)st.frames / st.samples, t2 - t0,
	       (t2 - t0) * 1e6 / st.samples, (t1 - t0) * 1e3, st.files, st.cfi_steps,
	       st.cache_hits, st.fp_steps, st.truncated);
	unwinder__free(u);
	return 0;
}

int main(int argc, char **argv)
{
	struct names nm = { 0 };
	struct unwinder *u;
	struct mmaps *mm;
	ssize_t len;
	char err[512];
	int ret;

	if (take_samples()) {
		fprintf(stderr, "test_unwind: cannot take samples: %s\n", strerror(errno));
		return 1;
	}
	/* after the samples: the thread's stack and the trampoline are mapped by now */
	mm = mmaps__from_proc(getpid());
	len = readlink("/proc/self/exe", nm.exe_path, sizeof(nm.exe_path) - 1);
	nm.exe = syms__load("/proc/self/exe", NULL, err, sizeof(err));
	if (!mm || len <= 0 || !nm.exe) {
		fprintf(stderr, "test_unwind: cannot load maps or symbols: %s\n", err);
		return 1;
	}
	nm.mm = mm;
	nm.plt = plt_address(&nm, &nm.plt_size);
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench(mm, argc > 2 ? atol(argv[2]) : 100000);

	u = unwinder__new();
	CHECK(u != NULL);
	if (u) {
		test_chains(u, &nm);
		test_stops(u, &nm);
		test_plt(u, &nm);
		unwinder__free(u);
	}
	syms__free(nm.exe);
	mmaps__free(mm);
	ret = checks_report("test_unwind");
	free(samples);
	free(caps);
	return ret;
}
