// Built with frame pointers: reader spends its time in read(2) of
// /dev/zero, in the kernel under libc's read wrapper, which has no frame
// pointer: a frame-pointer walk from the wrapper takes reader's frame for
// the wrapper's and skips reader. It prints "ready" once running.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
static char buf[1 << 20];
volatile long sink;
__attribute__((noinline)) void reader(int fd) {
	for (int i = 0; i < 64; i++)
		sink += read(fd, buf, sizeof buf);
}
int main(void) {
	int fd = open("/dev/zero", O_RDONLY);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		reader(fd);
}
