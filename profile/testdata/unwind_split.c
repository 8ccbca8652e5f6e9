// Built with -O2 -fomit-frame-pointer: no function keeps a frame pointer.
// main calls work70 and work30, which spin on the same loop 7 and 3 times
// as long: 70% and 30% of the CPU time, each under main. It runs for the
// seconds its argument says (default 2).
#include <stdlib.h>
#include <time.h>

volatile unsigned long sink;

__attribute__((noinline)) static void spin(unsigned long n) {
	for (unsigned long i = 0; i < n; i++)
		sink += i * i;
}
__attribute__((noinline)) void work70(void) { spin(7 * 200000); sink++; }
__attribute__((noinline)) void work30(void) { spin(3 * 200000); sink++; }

int main(int argc, char **argv) {
	double secs = argc > 1 ? atof(argv[1]) : 2;
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		work70();
		work30();
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
