// The main thread blocks, round after round, about 3 ms in wait_for_answer
// (a pipe read, answered by a second thread 3 ms after it was asked) and
// 2 ms in nap (a nanosleep): 60% and 40% of its blocked time, with next
// to no CPU time. "ready" once both threads run. With an argument, the
// helper answers at once instead: the two threads ping-pong over the
// pipes, tens of thousands of switches a second.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int ask[2], answer[2], quick;

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
	pthread_t t;
	(void)argv;
	quick = argc > 1;
	if (pipe(ask) || pipe(answer) || pthread_create(&t, NULL, helper, NULL))
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		wait_for_answer();
		nap();
	}
}
