/* The walker's test program. Built -O2 -fomit-frame-pointer (call frame
   information only), or with frame pointers and no call frame information
   (-fno-asynchronous-unwind-tables -fno-unwind-tables). Its argument picks
   where it spins, for good, once it has printed "ready":
     nested  main -> outer -> inner, called again and again, so that a stop
             lands in every instruction, prologues and epilogues included
     qsort   main -> sort_many -> qsort (libc) -> compare
     signal  main -> outer_signal -> raise (libc) -> handler, which calls
             outer -> inner for good: below the handler, glibc's signal
             trampoline __restore_rt and the libc frames raise interrupted
     read    main -> read_zeros -> read (libc, no frame pointer), the time
             in the kernel; read_zeros keeps a frame pointer
     memcpy  main -> copy_big -> memcpy (libc, no frame pointer); copy_big
             keeps a frame pointer */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP __attribute__((noipa))
#define WITH_FP __attribute__((noipa, optimize("no-omit-frame-pointer")))

volatile unsigned long sink;

KEEP unsigned long inner(unsigned long n) {
	volatile unsigned long buf[24];
	for (unsigned long i = 0; i < n; i++)
		buf[i % 24] = i * i + sink;
	return buf[n % 24];
}

KEEP unsigned long outer(unsigned long n) {
	volatile unsigned long pad[5];
	pad[n % 5] = inner(n);
	pad[(n + 1) % 5] = inner(n / 2);
	return pad[n % 5] + pad[(n + 1) % 5];
}

KEEP int compare(const void *a, const void *b) {
	volatile unsigned long w[4]; /* a frame, with a frame pointer in that build */
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
	for (int i = 0; i < 40; i++) /* work in the comparator's body */
		w[i % 4] = (x ^ i) * (y + i) + sink;
	return x < y ? -1 : x > y;
}

KEEP void sort_many(void) {
	enum { N = 4096 };
	static unsigned long v[N];
	for (;;) {
		for (int i = 0; i < N; i++)
			v[i] = (unsigned long)(i * 2654435761u) % 100003;
		qsort(v, N, sizeof v[0], compare);
		sink += v[N / 2];
	}
}

static void handler(int sig) {
	(void)sig;
	printf("ready\n");
	fflush(stdout);
	for (unsigned long n = 0;; n++)
		sink += outer(n % 64);
}

KEEP void outer_signal(void) {
	signal(SIGUSR1, handler);
	raise(SIGUSR1);
	sink++;
}

WITH_FP void read_zeros(void) {
	static char buf[1 << 16];
	int fd = open("/dev/zero", O_RDONLY);
	for (;;)
		sink += read(fd, buf, sizeof buf);
}

WITH_FP void copy_big(void) {
	static char a[1 << 20], b[1 << 20];
	for (;;) {
		memcpy(a, b, sizeof a);
		sink += a[sink % sizeof a];
	}
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "nested";
	if (strcmp(mode, "signal") == 0) {
		outer_signal();
		return 0;
	}
	printf("ready\n");
	fflush(stdout);
	if (strcmp(mode, "qsort") == 0)
		sort_many();
	else if (strcmp(mode, "read") == 0)
		read_zeros();
	else if (strcmp(mode, "memcpy") == 0)
		copy_big();
	for (unsigned long n = 0;; n++)
		sink += outer(n % 64);
}
