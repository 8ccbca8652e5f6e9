// Sleeps 10 ms, burns 200 ms of CPU in warm_up, then blocks in
// block_until_killed until a signal kills it: a process that exits while
// blocked. block_until_killed makes the pause system call itself, so that
// its own frame is the leaf of the blocked stack whichever way it is
// walked (a process's first blocks may be walked by frame pointers, before
// the backend has its unwind tables).
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

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
	for (;;) {
		long ret;
		__asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_pause) : "rcx", "r11", "memory");
	}
}

int main(void) {
	usleep(10000);
	warm_up();
	block_until_killed();
	return 0;
}
