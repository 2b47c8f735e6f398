/* args.c: an example app that prints its arguments and an environment-free
 * summary of them, then exits with the status named by its first argument
 * (a number), or 0: a runtime's handling of arguments and of a non-zero exit
 * through WASI proc_exit. Also writes one line to stderr. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	unsigned long len = 0;

	for (int i = 1; i < argc; i++) {
		printf("arg %d: %s\n", i, argv[i]);
		for (const char *s = argv[i]; *s; s++)
			len++;
	}
	printf("%d arguments, %lu bytes\n", argc - 1, len);
	fprintf(stderr, "args: to stderr\n");
	fflush(stdout);
	return argc > 1 ? atoi(argv[1]) & 0xff : 0;
}
