/* A program built with -O2 -fomit-frame-pointer: frames whose CFA is rsp
   plus an offset that changes as they push and allocate, and one that
   keeps a frame pointer anyway because of a variable-length array. */
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static long spin(long n) {
	volatile long s = 0;
	for (long i = 0; i < n; i++)
		s += i * i;
	return s;
}

__attribute__((noinline)) static long varlen(int n) {
	char *buf = alloca(n);
	memset(buf, n & 0xff, n);
	return spin(buf[n / 2]) + buf[0];
}

__attribute__((noinline)) static long many(long a, long b, long c, long d) {
	long x[64];
	for (int i = 0; i < 64; i++)
		x[i] = spin(a + i) ^ b ^ c ^ d;
	long s = 0;
	for (int i = 0; i < 64; i++)
		s += x[i];
	return s + varlen((int)(a & 127) + 16);
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 10;
	printf("%ld\n", many(n, n + 1, n + 2, n + 3));
	return 0;
}
