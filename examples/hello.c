/* hello.c: the smallest example app: one line out, exit 0. Under a runtime it
 * is nearly all start-up (load, compile, instantiate), which is what
 * bench/breakdown.py's "node hello" workload measures phaseprof's fixed cost
 * against. */
#include <stdio.h>

int main(void)
{
	puts("hello, world");
	return 0;
}
