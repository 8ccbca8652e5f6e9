/* livework: a known call tree for TestLivePerfRecord. main calls
   flamekit_alpha (three parts of the CPU), flamekit_beta (one part) and
   flamekit_syscalls, which spends its time in the kernel reading /dev/zero. */
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
volatile unsigned long sink;
static char buf[1 << 16];
void flamekit_alpha(void) { for (unsigned long i = 0; i < 3000000; i++) sink += i * i; }
void flamekit_beta(void)  { for (unsigned long i = 0; i < 1000000; i++) sink ^= i * 7; }
/* read(2) without libc, whose wrappers have no frame pointer. */
long raw_read(long fd, void *b, unsigned long n) {
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(0L), "D"(fd), "S"(b), "d"(n) : "rcx", "r11", "memory");
	return ret;
}
void flamekit_syscalls(int fd) { for (int i = 0; i < 300; i++) sink += raw_read(fd, buf, sizeof buf); }
int main(void) {
	int fd = open("/dev/zero", O_RDONLY);
	time_t end = time(0) + 2;
	while (time(0) < end) { flamekit_alpha(); flamekit_beta(); flamekit_syscalls(fd); }
	return 0;
}
