// Sorts arrays with libc's qsort and a comparator for the seconds its
// argument says (default 2). libc's sort (msort_with_tmp, built without
// frame pointers) calls the comparator: a frame-pointer walk from it loses
// sort_rounds and main.
#include <stdlib.h>
#include <time.h>

enum { N = 1 << 14 };
static int a[N];
volatile unsigned long sink;

__attribute__((noinline)) int by_value(const void *x, const void *y) {
	int p = *(const int *)x, q = *(const int *)y;
	for (int i = 0; i < 20; i++)
		sink += i;
	return (p > q) - (p < q);
}

__attribute__((noinline)) void sort_rounds(void) {
	for (int i = 0; i < N; i++)
		a[i] = rand();
	qsort(a, N, sizeof a[0], by_value);
	sink += a[0]; // not a tail call: sort_rounds stays on the stack
}

int main(int argc, char **argv) {
	double secs = argc > 1 ? atof(argv[1]) : 2;
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		sort_rounds();
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
