// Built with -O2: a third of its time throwing and catching C++
// exceptions (through libstdc++ and libgcc_s's unwinder, which have no
// frame pointers), the rest computing. It runs for the seconds its
// argument says (default 2).
#include <cstdlib>
#include <ctime>
#include <stdexcept>

volatile unsigned long sink;

__attribute__((noinline)) void thrower(int i) {
	if (i >= 0)
		throw std::runtime_error("thrown");
	sink++;
}

__attribute__((noinline)) long exception_phase(int n) {
	long caught = 0;
	for (int i = 0; i < n; i++) {
		try {
			thrower(i);
		} catch (const std::exception &) {
			caught++;
		}
	}
	return caught;
}

__attribute__((noinline)) void compute_phase(long n) {
	for (long i = 0; i < n; i++)
		sink += i * i;
}

int main(int argc, char **argv) {
	double secs = argc > 1 ? atof(argv[1]) : 2;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		sink += exception_phase(1000);
		compute_phase(200000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
