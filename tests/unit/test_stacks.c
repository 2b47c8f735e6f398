// SPDX-License-Identifier: MIT
/*
 * test_stacks.c: folding on canned (key, stack) tuples, as a backend yields
 * them: frames named (JIT code from a perf map, kernel frames, no stack),
 * lines merged per (phase, stack), counts per phase, the process frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "stacks.h"

#define PID 42

static const char *process_name(uint32_t tgid, void *ctx)
{
	return tgid == PID ? ctx : NULL;
}

static char *fold_all(const struct stack_tuple *t, size_t n, struct stack_result *r)
{
	struct syms_opts so = { 0 };
	struct symbolizer *z = symbolizer__new(&so);
	struct stack_opts o = { .phase_frame = true, .process_frame = true };
	struct stack_fold f = { .z = z, .o = &o, .process_name = process_name, .ctx = "proc" };
	static const char perfmap[] = "1000 100 jit_outer\n2000 100 jit_inner\n";
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	CHECK(z != NULL);
	CHECK_INT(symbolizer__set_perfmap(z, PID, perfmap, sizeof(perfmap) - 1), 0);
	CHECK_INT(stacks__fold_begin(&f, r), 0);
	for (size_t i = 0; i < n; i++)
		CHECK_INT(stacks__fold(&f, &t[i]), 0);
	stacks__fold_end(&f, 9);
	out = open_memstream(&text, &len);
	CHECK_INT(stacks__write_folded(out, r), 0);
	fclose(out);
	symbolizer__free(z);
	return text;
}

static void test_fold_tuples(void)
{
	/* innermost first; the outer frame is a return address, named by address - 1 */
	static const uint64_t jit[] = { 0x2010, 0x1001 }, kernel[] = { 0x10 };
	const struct stack_tuple t[] = {
		{ PID, PP_PHASE_COMPILE, "rt", jit, 2, NULL, -1, 3, 3 },
		{ PID, PP_PHASE_COMPILE, "rt", jit, 2, NULL, -1, 2, 0 }, /* merges with the first */
		{ PID, PP_PHASE_EXECUTE, "rt", jit, 2, NULL, -1, 1, 0 },
		{ PID, PP_PHASE_EXECUTE, "rt", NULL, 0, NULL, -1, 4, 0 },  /* no stack at all */
		{ PID, PP_PHASE_EXECUTE, "rt", NULL, 0, kernel, 1, 2, 0 }, /* kernel only */
		{ 7, PP_PHASE_COUNT + 3, "a;b\nc", jit, 1, NULL, -1, 1, 0 }, /* bad phase, odd name */
	};
	struct stack_result r;
	char *text = fold_all(t, sizeof(t) / sizeof(t[0]), &r);

	CHECK_STR(text, "a:b c;[startup];[unknown frame] 1\n"
			"proc;[compile];jit_outer_[j];jit_inner_[j] 5\n"
			"proc;[execute];[kernel]_[k] 2\n"
			"proc;[execute];[no stack] 4\n"
			"proc;[execute];jit_outer_[j];jit_inner_[j] 1\n");
	CHECK_INT(r.total, 13);
	CHECK_INT(r.phase_samples[PP_PHASE_COMPILE], 5);
	CHECK_INT(r.phase_samples[PP_PHASE_EXECUTE], 7);
	CHECK_INT(r.phase_samples[PP_PHASE_STARTUP], 1);
	CHECK_INT(r.no_stack, 6);
	CHECK_INT(r.complete, 3); /* only the unwinder's ended walks: no frame is main */
	CHECK_INT(r.lost, 9);
	CHECK_INT(r.n, 5);
	free(text);
	stacks__free(&r);
}

int main(void)
{
	test_fold_tuples();
	return checks_report("test_stacks");
}
