// SPDX-License-Identifier: MIT
/*
 * flamegraph_gen.c: a reproducible big folded-stack file for
 * flamegraph_bench.sh. A fixed call graph of a few thousand functions (a
 * runtime, its compiler, JIT-compiled wasm functions, the kernel), stacks
 * from random walks down it (depth 10 to 60), written in generation order
 * (unsorted: the parser's slow case). Same seed, same bytes.
 * usage: flamegraph_gen MEGABYTES [SEED] > big.folded
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_FUNCS 4000
#define MAX_CALLEES 8

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static char names[NR_FUNCS][96];
static int callees[NR_FUNCS][MAX_CALLEES];
static int nr_callees[NR_FUNCS];

static const char *const modules[] = {
	"wasmtime::runtime::vm", "wasmtime::runtime::func", "cranelift_codegen::machinst",
	"cranelift_codegen::isa::x64", "regalloc2::ion", "wasmparser::validator",
	"std::collections::hash::map", "core::ptr", "alloc::raw_vec", "tokio::runtime",
};

static void make_names(void)
{
	for (int i = 0; i < NR_FUNCS; i++) {
		int kind = i % 10;

		if (kind < 4)
			snprintf(names[i], sizeof(names[i]), "wasm-function[%d]_[j]", i);
		else if (kind < 9)
			snprintf(names[i], sizeof(names[i]), "%s::fn_%d_%llx",
				 modules[rng() % 10], i, (unsigned long long)(rng() & 0xffff));
		else
			snprintf(names[i], sizeof(names[i]), "kfunc_%d_[k]", i);
	}
	for (int i = 0; i < NR_FUNCS; i++) {
		nr_callees[i] = 1 + rng() % MAX_CALLEES;
		for (int j = 0; j < nr_callees[i]; j++)
			callees[i][j] = rng() % NR_FUNCS;
	}
}

/* callee index: geometric, so a few callees take most of the time */
static int pick(int n)
{
	int k = 0;

	while (k < n - 1 && (rng() & 1))
		k++;
	return k;
}

int main(int argc, char **argv)
{
	static const char *const phases[] = { "[load]", "[compile]", "[instantiate]", "[execute]" };
	uint64_t target, written = 0;
	static char line[16384];

	if (argc < 2) {
		fprintf(stderr, "usage: flamegraph_gen MEGABYTES [SEED]\n");
		return 64;
	}
	target = strtoull(argv[1], NULL, 10) << 20;
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
	if (!rng_state)
		rng_state = 42;
	make_names();
	while (written < target) {
		int depth = 10 + rng() % 51, len, f = rng() % 64;

		len = snprintf(line, sizeof(line), "wasmtime;%s", phases[pick(4)]);
		for (int d = 0; d < depth; d++) {
			len += snprintf(line + len, sizeof(line) - len, ";%s", names[f]);
			f = callees[f][pick(nr_callees[f])];
		}
		len += snprintf(line + len, sizeof(line) - len, " %llu\n",
				(unsigned long long)(1 + (rng() % 100) * (rng() % 10)));
		fwrite(line, 1, len, stdout);
		written += len;
	}
	return 0;
}
