/* trap.c: an example app that prints a line and then traps (an unreachable
 * instruction, after a little work), so a runtime's trap path is exercised:
 * the run fails with the runtime's own message and status. */
#include <stdio.h>

static __attribute__((noinline)) unsigned work(unsigned n)
{
	unsigned x = n;

	for (unsigned i = 0; i < 10000; i++)
		x = x * 31 + i;
	return x;
}

int main(void)
{
	printf("before the trap: %u\n", work(7));
	fflush(stdout);
	__builtin_trap();
}
