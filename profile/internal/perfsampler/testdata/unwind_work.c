/* The perf backend's unwinding workloads, built -O2 -fomit-frame-pointer:
   no function keeps a frame pointer but those marked WITH_FP. Its argument
   picks the work, run until it is killed:
     split  main -> work70 / work30 -> spin: 70% and 30% of the CPU time,
            in rounds of random length (0.1 to 1 ms), which no sampling
            period follows; the leaf is spin, the same code for both
     qsort  main -> sort_rounds -> qsort (libc) -> by_value, the comparator
     read   main -> read_loop (frame pointer) -> read (libc, no frame
            pointer), its time in the kernel
     copy   main -> copy_loop (frame pointer) -> memcpy (libc, no frame
            pointer) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP __attribute__((noipa))
#define WITH_FP __attribute__((noipa, optimize("no-omit-frame-pointer")))

volatile unsigned long sink;

KEEP void spin(unsigned long n) {
	for (unsigned long i = 0; i < n; i++)
		sink += i * i;
}
KEEP void work70(unsigned long n) { spin(7 * n); sink++; }
KEEP void work30(unsigned long n) { spin(3 * n); sink++; }

enum { N = 1 << 14 };
static int a[N];

KEEP int by_value(const void *x, const void *y) {
	int p = *(const int *)x, q = *(const int *)y;
	for (int i = 0; i < 20; i++)
		sink += i;
	return (p > q) - (p < q);
}

KEEP void sort_rounds(void) {
	for (int i = 0; i < N; i++)
		a[i] = rand();
	qsort(a, N, sizeof a[0], by_value);
	sink += a[0]; /* not a tail call: sort_rounds stays on the stack */
}

WITH_FP void read_loop(int fd) {
	static char buf[1 << 16];
	for (int i = 0; i < 256; i++)
		sink += read(fd, buf, sizeof buf);
}

WITH_FP void copy_loop(void) {
	static char src[4 << 20], dst[4 << 20];
	for (int i = 0; i < 16; i++) {
		memcpy(dst, src, sizeof dst);
		sink += dst[i];
	}
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "split";
	int fd = open("/dev/zero", O_RDONLY);
	unsigned long r = 12345;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (strcmp(mode, "qsort") == 0)
			sort_rounds();
		else if (strcmp(mode, "read") == 0)
			read_loop(fd);
		else if (strcmp(mode, "copy") == 0)
			copy_loop();
		else {
			r = r * 6364136223846793005ul + 1442695040888963407ul;
			unsigned long n = 10000 + (r >> 33) % 100000;
			work70(n);
			work30(n);
		}
	}
}
