// Sleeps 10 ms, burns 200 ms of CPU in warm_up, then blocks in
// block_until_killed until a signal kills it: a process that exits while
// blocked. (Its first block is the short sleep: a backend may learn of a
// process at the end of its first block, and walk the stacks of the
// blocks that begin before it has the process's unwind tables by frame
// pointers.)
#include <time.h>
#include <unistd.h>

volatile unsigned long sink;

__attribute__((noinline)) void warm_up(void) {
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (int i = 0; i < 100000; i++)
			sink += i;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec < 200000000L);
}

__attribute__((noinline)) void block_until_killed(void) {
	for (;;)
		pause();
}

int main(void) {
	usleep(10000);
	warm_up();
	block_until_killed();
	return 0;
}
