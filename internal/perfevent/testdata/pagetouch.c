/* pagetouch: prints "ready", waits for a line (or the end) of stdin, then
   writes one byte in each of PAGES fresh 4 KiB pages of anonymous memory,
   so that every write is a page fault. The period tests sample it on
   page-faults from the moment it reads its line. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
	long pages = argc > 1 ? atol(argv[1]) : 32768;
	char *p = mmap(0, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	madvise(p, pages * 4096, MADV_NOHUGEPAGE); /* a fault per 4 KiB page, THP or not */
	printf("ready\n");
	fflush(stdout);
	getchar();
	for (long i = 0; i < pages; i++)
		p[i * 4096] = 1;
	return 0;
}
