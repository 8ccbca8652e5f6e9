// Built with -O2 -fomit-frame-pointer: main calls down, which recurses
// DEPTH times (40 unless -DDEPTH says otherwise) before it spins, for
// good: user stacks of DEPTH+5 frames, none with a frame pointer. It
// prints "ready" once running.
#include <stdio.h>
#ifndef DEPTH
#define DEPTH 40
#endif
volatile unsigned long sink;
__attribute__((noipa)) unsigned long down(int n) {
	if (n == 0) {
		for (unsigned long i = 0; i < 1000000; i++)
			sink += i;
		return sink;
	}
	unsigned long r = down(n - 1);
	sink += r; // not a tail call
	return r;
}
int main(void) {
	printf("ready\n");
	fflush(stdout);
	for (;;)
		down(DEPTH);
}
