/* sieve.c: counts the primes below N (default 2000000) with a byte sieve:
 * memory-bound execute work. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2000000;
	unsigned char *composite = calloc(n + 1, 1);
	unsigned primes = 0;

	if (!composite)
		return 1;
	for (unsigned i = 2; i <= n; i++) {
		if (composite[i])
			continue;
		primes++;
		for (unsigned long j = (unsigned long)i * i; j <= n; j += i)
			composite[j] = 1;
	}
	printf("%u primes below %u\n", primes, n);
	free(composite);
	return 0;
}
