/* wordfreq.c: reads text on stdin, prints line, word and byte counts and the
 * most frequent word: the suite's case that takes its input from stdin. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define SLOTS 4096

static char words[SLOTS][32];
static unsigned counts[SLOTS];

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void count(const char *w)
{
	unsigned i = hash(w) % SLOTS;

	while (counts[i] && strcmp(words[i], w))
		i = (i + 1) % SLOTS;
	if (!counts[i])
		snprintf(words[i], sizeof(words[i]), "%s", w);
	counts[i]++;
}

int main(void)
{
	unsigned long lines = 0, nwords = 0, bytes = 0, best = 0;
	char w[32];
	size_t n = 0;
	int c;

	while ((c = getchar()) != EOF) {
		bytes++;
		lines += c == '\n';
		if (isalpha(c) && n < sizeof(w) - 1) {
			w[n++] = (char)tolower(c);
			continue;
		}
		if (n) {
			w[n] = '\0';
			count(w);
			nwords++;
			n = 0;
		}
	}
	for (unsigned i = 1; i < SLOTS; i++)
		if (counts[i] > counts[best])
			best = i;
	printf("lines %lu words %lu bytes %lu\n", lines, nwords, bytes);
	printf("most frequent: %s (%u)\n", counts[best] ? words[best] : "-", counts[best]);
	return 0;
}
