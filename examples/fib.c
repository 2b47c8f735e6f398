/* fib.c: the bundled example app. Recursion (hot wasm code that V8 tiers up),
 * a loop over memory, and WASI output, so every phase has work to show. */
#include <stdio.h>
#include <stdlib.h>

static unsigned fib(unsigned n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static unsigned long checksum(unsigned n)
{
	unsigned char *buf = malloc(n);
	unsigned long sum = 0;

	for (unsigned i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 31 + 7);
	for (unsigned i = 0; i < n; i++)
		sum = sum * 131 + buf[i];
	free(buf);
	return sum;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 30;

	printf("fib(%u) = %u\n", n, fib(n));
	printf("checksum = %lu\n", checksum(1u << 20));
	return 0;
}
