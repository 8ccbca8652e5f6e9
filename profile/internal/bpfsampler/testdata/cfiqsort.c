// Built with -O2 -fomit-frame-pointer: sorter sorts an array with libc's
// qsort for good, and most of the time goes to its comparator, compare,
// called from inside libc. It prints "ready" once running.
#include <stdio.h>
#include <stdlib.h>
enum { N = 100000 };
static unsigned long keys[N];
volatile unsigned long sink;
__attribute__((noinline)) static int compare(const void *a, const void *b) {
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
	for (int i = 0; i < 20; i++) // make it the hot spot
		sink += x ^ y;
	return x < y ? -1 : x > y;
}
__attribute__((noinline)) void sorter(void) {
	unsigned long s = 1;
	for (int i = 0; i < N; i++)
		keys[i] = s = s * 6364136223846793005UL + 1442695040888963407UL;
	qsort(keys, N, sizeof keys[0], compare);
	sink += keys[0]; // not a tail call
}
int main(void) {
	printf("ready\n");
	fflush(stdout);
	for (;;)
		sorter();
}
