// Blocks where a recording must report it at its end, or at an exit. It
// prints "ready", waits for a line on stdin (the recording has started),
// then:
//   hold: the main thread blocks in hold_forever (pause) until killed;
//   exit: a second thread blocks in blocked_until_exit (a read of a pipe
//         nobody writes) while the main thread naps 200 ms in linger, then
//         exits: the blocked thread ends with the process.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int never[2];

__attribute__((noinline)) void hold_forever(void) {
	for (;;)
		pause();
}

__attribute__((noinline)) void blocked_until_exit(void) {
	char c;
	if (read(never[0], &c, 1) >= 0)
		_exit(1);
}

static void *blocker(void *arg) {
	(void)arg;
	blocked_until_exit();
	return NULL;
}

__attribute__((noinline)) void linger(void) {
	struct timespec ts = {0, 200 * 1000000};
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
	char line[16];
	pthread_t t;
	if (argc < 2 || pipe(never))
		return 2;
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 1;
	if (strcmp(argv[1], "hold") == 0)
		hold_forever();
	if (pthread_create(&t, NULL, blocker, NULL))
		return 1;
	linger();
	return 0;
}
