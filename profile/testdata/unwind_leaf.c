// Built with frame pointers. copy_loop spends its time in libc's memcpy,
// read_loop in libc's read (in the kernel, under the system call): both
// leaves are libc code without frame pointers, where a frame-pointer walk
// takes the caller's saved frame for the leaf's and skips the caller. With
// "copy" or "read" it runs one of them, else both, for the seconds its
// second argument says (default 2).
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { SIZE = 4 << 20 };
static char src[SIZE], dst[SIZE];
static char buf[1 << 16];
volatile unsigned long sink;

__attribute__((noinline)) void copy_loop(void) {
	for (int i = 0; i < 16; i++) {
		memcpy(dst, src, SIZE);
		sink += dst[i];
	}
}

__attribute__((noinline)) void read_loop(int fd) {
	for (int i = 0; i < 256; i++)
		sink += read(fd, buf, sizeof buf);
}

int main(int argc, char **argv) {
	int copy = argc < 2 || strcmp(argv[1], "read") != 0;
	int rd = argc < 2 || strcmp(argv[1], "copy") != 0;
	double secs = argc > 2 ? atof(argv[2]) : 2;
	int fd = open("/dev/zero", O_RDONLY);
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		if (copy)
			copy_loop();
		if (rd)
			read_loop(fd);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
