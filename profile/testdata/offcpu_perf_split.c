// The main thread blocks, round after round, about 3 ms in wait_for_answer
// (a pipe read, answered by a second thread 3 ms after it was asked) and
// 2 ms in nap (a nanosleep): 60% and 40% of its blocked time, with next
// to no CPU time. It measures the time it spends in each (CLOCK_MONOTONIC,
// its CPU time included): a line on stdin has a third thread print
// "spent WAIT NAP" (nanoseconds so far). "ready" once the threads run.
// With an argument, the helper answers at once instead: the two threads
// ping-pong over the pipes, tens of thousands of switches a second.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int ask[2], answer[2], quick;
static uint64_t in_wait, in_nap;

static uint64_t now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(long ms) {
	struct timespec ts = {0, ms * 1000000};
	nanosleep(&ts, NULL);
}

static void *helper(void *arg) {
	char c;
	(void)arg;
	while (read(ask[0], &c, 1) == 1) {
		if (!quick)
			sleep_ms(3);
		if (write(answer[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void *reporter(void *arg) {
	char line[16];
	(void)arg;
	while (fgets(line, sizeof line, stdin)) {
		printf("spent %llu %llu\n", (unsigned long long)__atomic_load_n(&in_wait, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&in_nap, __ATOMIC_RELAXED));
		fflush(stdout);
	}
	return NULL;
}

__attribute__((noinline)) void wait_for_answer(void) {
	char c = 'q';
	if (write(ask[1], &c, 1) != 1 || read(answer[0], &c, 1) != 1)
		_exit(1);
}

__attribute__((noinline)) void nap(void) {
	if (!quick)
		sleep_ms(2);
}

int main(int argc, char **argv) {
	pthread_t t, r;
	(void)argv;
	quick = argc > 1;
	if (pipe(ask) || pipe(answer) || pthread_create(&t, NULL, helper, NULL) || pthread_create(&r, NULL, reporter, NULL))
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		uint64_t t0 = now();
		wait_for_answer();
		uint64_t t1 = now();
		nap();
		__atomic_add_fetch(&in_wait, t1 - t0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&in_nap, now() - t1, __ATOMIC_RELAXED);
	}
}
