/* prog.c: the C program the native symbolizer tests build in many ways. */
#include <stdio.h>
#include <stdlib.h>

volatile int sink;

static inline int square_plus(int x)
{
	int r = x * x;
	for (int i = 0; i < x; i++)
		sink += r ^ i; /* MARK:inner */
	return r + sink;
}

static int __attribute__((noinline)) local_helper(int x)
{
	sink = x * 3;
	return sink + 1;
}

int __attribute__((noinline)) global_work(int x)
{
	int a = square_plus(x); /* MARK:call */
	return a + local_helper(x);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	printf("%d\n", global_work(n));
	puts("done");
	return 0;
}
