/* funcs.c: an example app with a thousand distinct functions, each called a
 * few times. V8 compiles wasm lazily, so most of this app's compile time is
 * Liftoff on the main thread, in the middle of execute; the hot ones tier up
 * to TurboFan on worker threads. */
#include <stdio.h>

#define NOINLINE __attribute__((noinline))
#define F(n)                                                                   \
	static NOINLINE unsigned f##n(unsigned x)                              \
	{                                                                      \
		for (unsigned i = 0; i < (n % 7) + 3; i++)                    \
			x = (x ^ (n * 2654435761u)) * 40503u + (x >> (n % 13 + 1)); \
		return x + n;                                                  \
	}
#define F10(n) F(n##0) F(n##1) F(n##2) F(n##3) F(n##4) F(n##5) F(n##6) F(n##7) F(n##8) F(n##9)
#define F100(n) F10(n##0) F10(n##1) F10(n##2) F10(n##3) F10(n##4) F10(n##5) F10(n##6) \
	F10(n##7) F10(n##8) F10(n##9)
F100(1) F100(2) F100(3) F100(4) F100(5) F100(6) F100(7) F100(8) F100(9)

#define C(n) x = f##n(x);
#define C10(n) C(n##0) C(n##1) C(n##2) C(n##3) C(n##4) C(n##5) C(n##6) C(n##7) C(n##8) C(n##9)
#define C100(n) C10(n##0) C10(n##1) C10(n##2) C10(n##3) C10(n##4) C10(n##5) C10(n##6) \
	C10(n##7) C10(n##8) C10(n##9)

/* hot enough that V8 tiers it up to TurboFan on a worker thread */
static NOINLINE unsigned hot(unsigned n)
{
	return n < 2 ? n : hot(n - 1) + hot(n - 2);
}

static NOINLINE unsigned round_trip(unsigned x)
{
	C100(1) C100(2) C100(3) C100(4) C100(5) C100(6) C100(7) C100(8) C100(9)
	return x;
}

int main(void)
{
	unsigned x = 1;

	for (int i = 0; i < 40; i++)
		x = round_trip(x);
	printf("funcs: %u, hot: %u\n", x, hot(30));
	return 0;
}
