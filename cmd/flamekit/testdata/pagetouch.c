/* pagetouch: touch_fresh_pages maps fresh anonymous memory and writes one
   byte in each 4 KiB page, so every write is a page fault (16384 a round); the record tests
   sample it on page-faults. Run with the number of rounds (each 64 MiB). */
#include <stdlib.h>
#include <sys/mman.h>

#define ROUND_BYTES (64L << 20)

__attribute__((noinline)) void touch_fresh_pages(long pagesize) {
	char *p = mmap(0, ROUND_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		exit(1);
	madvise(p, ROUND_BYTES, MADV_NOHUGEPAGE); /* a fault per 4 KiB page, THP or not */
	for (long off = 0; off < ROUND_BYTES; off += pagesize)
		p[off] = 1;
	munmap(p, ROUND_BYTES);
}

int main(int argc, char **argv) {
	int rounds = argc > 1 ? atoi(argv[1]) : 4;
	for (int i = 0; i < rounds; i++)
		touch_fresh_pages(4096);
	return 0;
}
