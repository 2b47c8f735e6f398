/* bigmod.c: a large module (1024 distinct functions, called through a table)
 * so that load and compile dominate and compilation caches would show. */
#include <stdio.h>

#define F(n)                                                          \
	__attribute__((noinline)) static unsigned f##n(unsigned x)    \
	{                                                             \
		for (unsigned i = 0; i < (n % 7) + 3; i++)            \
			x = x * (2 * n + 1) + (x >> (n % 13 + 1)) + n; \
		return x ^ (n * 2654435761u);                         \
	}
#define F4(n) F(n##0) F(n##1) F(n##2) F(n##3)
#define F16(n) F4(n##0) F4(n##1) F4(n##2) F4(n##3)
#define F64(n) F16(n##0) F16(n##1) F16(n##2) F16(n##3)
#define F256(n) F64(n##0) F64(n##1) F64(n##2) F64(n##3)
F256(1) F256(2) F256(3) F256(5)

#define R(n) f##n,
#define R4(n) R(n##0) R(n##1) R(n##2) R(n##3)
#define R16(n) R4(n##0) R4(n##1) R4(n##2) R4(n##3)
#define R64(n) R16(n##0) R16(n##1) R16(n##2) R16(n##3)
#define R256(n) R64(n##0) R64(n##1) R64(n##2) R64(n##3)
static unsigned (*const table[])(unsigned) = { R256(1) R256(2) R256(3) R256(5) };

int main(void)
{
	unsigned x = 1;

	for (unsigned round = 0; round < 4; round++)
		for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			x = table[i](x);
	printf("%zu functions, checksum %u\n", sizeof(table) / sizeof(table[0]), x);
	return 0;
}
