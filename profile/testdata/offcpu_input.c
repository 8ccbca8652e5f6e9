// Reads its standard input a byte at a time in wait_for_input, blocked
// until the test writes one, and prints "got" after each; "ready" first.
// It exits at the end of its input.
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int wait_for_input(void)
{
	char c;
	int n = read(0, &c, 1);
	__asm__ volatile("" ::: "memory");
	return n;
}

int main(void)
{
	printf("ready\n");
	fflush(stdout);
	while (wait_for_input() == 1) {
		printf("got\n");
		fflush(stdout);
	}
	return 0;
}
