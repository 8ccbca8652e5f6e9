// Runs in two phases with known timing, for the heat map tests: first
// about three seconds in steady_phase, then, for a few seconds, a burst of
// 200 ms in burst_phase at the start of every second of CLOCK_MONOTONIC,
// sleeping the rest of each second. It prints "ready" when it starts and
// takes the number of burst seconds as its argument (default 4).
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

volatile unsigned long sink;

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void steady_phase(double until) {
	while (now() < until)
		for (int i = 0; i < 10000; i++) sink += i;
}

__attribute__((noinline)) void burst_phase(double until) {
	while (now() < until)
		for (int i = 0; i < 10000; i++) sink += i;
}

int main(int argc, char **argv) {
	int bursts = argc > 1 ? atoi(argv[1]) : 4;
	printf("ready\n");
	fflush(stdout);
	steady_phase(now() + 3.0);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec += 1;
	next.tv_nsec = 0;
	for (int i = 0; i < bursts; i++) {
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		burst_phase(next.tv_sec + next.tv_nsec / 1e9 + 0.2);
		next.tv_sec += 1;
	}
	return 0;
}
