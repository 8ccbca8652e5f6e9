// Built with -O2 -fomit-frame-pointer: main calls hot and cold, which run
// the same loop 7n and 3n times, for good, n drawn at random each round
// (0.1 to 1.2 ms), so that no sampling period falls in step with the
// rounds. hot and cold are the same code at the same offset from a 64-byte
// boundary: when hot's loop crossed one and cold's did not, hot had 78% of
// the CPU time on this test's virtual machine, on some of its CPUs (perf
// agreed). noipa keeps the compiler from merging them. Without frame
// pointers, a walk by them from hot or cold finds no main above them. It
// prints "ready" once running.
#include <stdio.h>
volatile unsigned long sink;
#define SPIN __attribute__((noipa, aligned(64)))
SPIN void hot(unsigned long n)  { for (unsigned long i = 0; i < n; i++) sink += i; }
SPIN void cold(unsigned long n) { for (unsigned long i = 0; i < n; i++) sink += i; }
int main(void) {
	printf("ready\n");
	fflush(stdout);
	unsigned long r = 12345;
	for (;;) {
		r = r * 6364136223846793005ul + 1442695040888963407ul;
		unsigned long n = 20000 + (r >> 33) % 100000;
		hot(7 * n);
		cold(3 * n);
	}
}
