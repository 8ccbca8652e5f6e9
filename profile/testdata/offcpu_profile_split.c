// The main thread blocks a known share of its time in two functions. Each
// round it asks a helper thread over a pipe and waits in wait_for_answer
// (a read) for the answer, which the helper writes from answer_later after
// sleeping 3 ms; then it sleeps 2 ms in nap: about 60/40 of its blocked
// time. With "spin" as its second argument, each round also burns 2 ms of
// CPU in burn. It runs ROUNDS rounds (argv[1], default 300), then prints
// the main thread's wall time, CPU time and time waiting runnable for a
// CPU (schedstat's run_delay: preempted, or woken and not yet running) of
// the rounds in microseconds: "wall_us cpu_us wait_us".
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int ask[2], answer[2];

static long long now_us(clockid_t clock) {
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

// run_delay_us is the time the calling thread has waited runnable for a
// CPU, from /proc/thread-self/schedstat; 0 when it cannot be read.
static long long run_delay_us(void) {
	unsigned long long run, delay = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &run, &delay) != 2)
			delay = 0;
		fclose(f);
	}
	return delay / 1000;
}

static void sleep_ms(long ms) {
	struct timespec ts = {0, ms * 1000000L};
	while (nanosleep(&ts, &ts) != 0) {
	}
}

__attribute__((noinline)) void answer_later(void) {
	char c = 'a';
	sleep_ms(3);
	if (write(answer[1], &c, 1) != 1)
		abort();
}

static void *helper(void *arg) {
	(void)arg;
	char c;
	while (read(ask[0], &c, 1) == 1)
		answer_later();
	return NULL;
}

__attribute__((noinline)) void wait_for_answer(void) {
	char c = 'q';
	if (write(ask[1], &c, 1) != 1 || read(answer[0], &c, 1) != 1)
		abort();
}

__attribute__((noinline)) void nap(void) {
	sleep_ms(2);
}

volatile unsigned long sink;

__attribute__((noinline)) void burn(void) {
	long long end = now_us(CLOCK_THREAD_CPUTIME_ID) + 2000;
	while (now_us(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 1000; i++)
			sink += i;
}

int main(int argc, char **argv) {
	int rounds = argc > 1 ? atoi(argv[1]) : 300;
	int spin = argc > 2 && strcmp(argv[2], "spin") == 0;
	pthread_t t;
	if (pipe(ask) || pipe(answer) || pthread_create(&t, NULL, helper, NULL))
		return 1;
	long long wall = now_us(CLOCK_MONOTONIC), cpu = now_us(CLOCK_THREAD_CPUTIME_ID), delay = run_delay_us();
	for (int i = 0; i < rounds; i++) {
		wait_for_answer();
		nap();
		if (spin)
			burn();
	}
	wall = now_us(CLOCK_MONOTONIC) - wall;
	cpu = now_us(CLOCK_THREAD_CPUTIME_ID) - cpu;
	delay = run_delay_us() - delay;
	printf("%lld %lld %lld\n", wall, cpu, delay);
	return 0;
}
