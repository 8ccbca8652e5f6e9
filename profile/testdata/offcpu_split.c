// The main thread blocks a known share of its time in two functions: each
// round, wait_for_answer asks a helper thread over a pipe and reads its
// answer, which answer_later writes 3 ms later; then nap sleeps 2 ms. Off
// CPU, the main thread spends about 60% of its blocked time in
// wait_for_answer and 40% in nap; the helper thread (answer_later) wakes
// the read. Prints "ready" once both threads run.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int ask[2], answer[2];

// after keeps a call from being a tail call, so its caller keeps a frame.
#define after() __asm__ volatile("" ::: "memory")

__attribute__((noinline)) void sleep_ns(long ns)
{
	struct timespec ts = { 0, ns };
	nanosleep(&ts, NULL);
	after();
}

__attribute__((noinline)) void answer_later(void)
{
	char c = 'a';
	sleep_ns(3000000);
	if (write(answer[1], &c, 1) != 1)
		_exit(1);
	after();
}

static void *helper(void *arg)
{
	char c;
	(void)arg;
	while (read(ask[0], &c, 1) == 1)
		answer_later();
	return NULL;
}

__attribute__((noinline)) void wait_for_answer(void)
{
	char c = 'q';
	if (write(ask[1], &c, 1) != 1 || read(answer[0], &c, 1) != 1)
		_exit(1);
	after();
}

__attribute__((noinline)) void nap(void)
{
	struct timespec ts = { 0, 2000000 };
	nanosleep(&ts, NULL);
	after();
}

int main(void)
{
	pthread_t t;
	if (pipe(ask) || pipe(answer) || pthread_create(&t, NULL, helper, NULL))
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		wait_for_answer();
		nap();
	}
}
