/* primes.c: an example app that computes for longer: the primes below N
 * (default 2000000) by the sieve of Eratosthenes, several rounds, and a
 * checksum of them. `primes.wasm N ROUNDS` picks the size. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2000000;
	unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 3;
	unsigned char *composite = malloc(n + 1);
	unsigned count = 0, sum = 0;

	if (!composite || n < 2)
		return 2;
	for (unsigned r = 0; r < rounds; r++) {
		count = sum = 0;
		for (unsigned i = 0; i <= n; i++)
			composite[i] = 0;
		for (unsigned i = 2; i <= n; i++) {
			if (composite[i])
				continue;
			count++;
			sum = sum * 31 + i;
			for (unsigned long long j = (unsigned long long)i * i; j <= n; j += i)
				composite[j] = 1;
		}
	}
	printf("%u primes below %u, checksum %u\n", count, n, sum);
	free(composite);
	return 0;
}
