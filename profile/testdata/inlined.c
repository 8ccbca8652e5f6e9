// Spends about a second in hot_outer, into which -O2 inlines mix_middle,
// into which it inlines step_inner: with -g, DWARF names both inlined
// frames.
#include <time.h>
volatile unsigned long sink;
static inline __attribute__((always_inline)) unsigned long step_inner(unsigned long i) { sink += i; return sink ^ i; }
static inline __attribute__((always_inline)) unsigned long mix_middle(unsigned long i) { return step_inner(i) * 3 + step_inner(i + 1); }
__attribute__((noinline)) unsigned long hot_outer(unsigned long n) {
	unsigned long s = 0;
	for (unsigned long i = 0; i < n; i++) s += mix_middle(i);
	return s;
}
int main(void) {
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		hot_outer(1000000);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
	return 0;
}
