// Spins 40 ms in short_lived_spin, then exits.
#include <time.h>
volatile unsigned long sink;
void short_lived_spin(void) {
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 100000; i++) sink += i;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 40000000L);
}
int main(void) { short_lived_spin(); return 0; }
