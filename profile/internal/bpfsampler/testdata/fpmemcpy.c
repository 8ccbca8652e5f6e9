// Built with frame pointers: copier spends its time in libc's memcpy,
// which has none, so that a frame-pointer walk from inside memcpy takes
// copier's frame for memcpy's and skips copier. It prints "ready" once
// running.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static char *from, *to;
volatile size_t size = 1 << 20;
__attribute__((noinline)) void copier(void) {
	for (int i = 0; i < 64; i++)
		memcpy(to, from, size);
}
int main(void) {
	from = malloc(size);
	to = malloc(size);
	memset(from, 1, size);
	memset(to, 2, size);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		copier();
}
