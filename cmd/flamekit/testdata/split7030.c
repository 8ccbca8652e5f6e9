// Spends 70% of its CPU time in hot_seventy and 30% in hot_thirty, by its
// own thread's CPU clock (so a loaded machine does not move the split),
// until it has used the seconds of CPU given (default 10): a loaded machine
// makes it take longer, not sample less.
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
static volatile uint64_t sink;
static uint64_t cpu_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}
static void spin(uint64_t until) {
	uint64_t s = sink;
	do {
		for (int i = 0; i < 20000; i++) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; }
	} while (cpu_ns() < until);
	sink = s;
}
__attribute__((noinline)) void hot_seventy(uint64_t ns) { spin(cpu_ns() + ns); }
__attribute__((noinline)) void hot_thirty(uint64_t ns) { spin(cpu_ns() + ns); }
int main(int argc, char **argv) {
	double secs = argc > 1 ? atof(argv[1]) : 10;
	uint64_t end = (uint64_t)(secs * 1e9);
	while (cpu_ns() < end) {
		hot_seventy(7000000);
		hot_thirty(3000000);
	}
	return 0;
}
