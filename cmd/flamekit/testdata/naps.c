// Sleeps N seconds (argv[1]) in naps of a quarter second: its first nap
// ends while it still has most of its sleeping to do, so a profiler that
// learns of a process from its first sample can still read it then. (A
// program that blocks once and exits as it wakes is gone by then.)
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
	double s = argc > 1 ? atof(argv[1]) : 1;
	struct timespec nap = {0, 250000000};
	for (int i = 0; i < (int)(s * 4 + 0.5); i++)
		nanosleep(&nap, 0);
	return 0;
}
