// Built with -O2 -fomit-frame-pointer: main calls hot and cold, which
// spin 7n and 3n iterations of the same loop, for good, n drawn at random
// each round (a round of 2 to 12 ms), so that no sampling period falls in
// step with the rounds (fixed rounds gave hot 72.4% once). Without frame
// pointers, a walk by them from hot or cold finds no main above them. It
// prints "ready" once running.
#include <stdio.h>
volatile unsigned long sink;
__attribute__((noinline)) void hot(unsigned long n)  { n *= 7; for (unsigned long i = 0; i < n; i++) sink += i; }
__attribute__((noinline)) void cold(unsigned long n) { n *= 3; for (unsigned long i = 0; i < n; i++) sink += i; }
int main(void) {
	printf("ready\n");
	fflush(stdout);
	unsigned long r = 12345;
	for (;;) {
		r = r * 6364136223846793005ul + 1442695040888963407ul;
		unsigned long n = 200000 + (r >> 33) % 1000000;
		hot(n);
		cold(n);
	}
}
