// Built with -O2 -fomit-frame-pointer: main calls hot and cold, which
// spin 7 and 3 units of work, for good. Without frame pointers, a walk by
// them from hot or cold finds no main above them. It prints "ready" once
// running.
#include <stdio.h>
volatile unsigned long sink;
__attribute__((noinline)) void hot(unsigned long n)  { for (unsigned long i = 0; i < n; i++) sink += i; }
__attribute__((noinline)) void cold(unsigned long n) { for (unsigned long i = 0; i < n; i++) sink += i; }
int main(void) {
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		hot(7000000);
		cold(3000000);
	}
}
