// Spins in short_lived_spin for the milliseconds of its first argument (40
// by default), then exits: milliseconds of wall-clock time, or of its own
// CPU time when the second argument is "cpu" (as long, whatever else the
// machine runs).
#include <stdlib.h>
#include <string.h>
#include <time.h>
volatile unsigned long sink;
void short_lived_spin(long ms, clockid_t clock) {
	struct timespec t0, t;
	clock_gettime(clock, &t0);
	do {
		for (int i = 0; i < 1000000; i++) sink += i; // about a millisecond between clock reads
		clock_gettime(clock, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < ms * 1000000L);
}
int main(int argc, char **argv) {
	clockid_t clock = argc > 2 && strcmp(argv[2], "cpu") == 0 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
	short_lived_spin(argc > 1 ? atol(argv[1]) : 40, clock);
	return 0;
}
