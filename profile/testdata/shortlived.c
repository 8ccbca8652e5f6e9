// Spins in short_lived_spin for the milliseconds of its argument (40 by
// default), then exits.
#include <stdlib.h>
#include <time.h>
volatile unsigned long sink;
void short_lived_spin(long ms) {
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 100000; i++) sink += i;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < ms * 1000000L);
}
int main(int argc, char **argv) {
	short_lived_spin(argc > 1 ? atol(argv[1]) : 40);
	return 0;
}
