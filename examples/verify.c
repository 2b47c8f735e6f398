/* verify.c: the tiny WASI app `phaseprof runtimes --verify` runs under each
 * runtime. It prints its arguments in brackets, so phaseprof can tell that
 * they arrived, and does a little work, so that every phase has something to
 * do. Its output is fixed by its arguments: "verify [ARG]...\n", then exit 0. */
#include <stdio.h>

int main(int argc, char **argv)
{
	unsigned x = 1;

	for (unsigned i = 0; i < 100000; i++)
		x = x * 1664525u + 1013904223u;
	printf("verify");
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	return x == 0; /* never true, but keeps the loop */
}
