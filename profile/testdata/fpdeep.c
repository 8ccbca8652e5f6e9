// Built with frame pointers everywhere: its hot leaf is reached through
// fp_path1 ... fp_path8 and 40 levels of recursion, more than a cycle's
// length, which must stay. It runs for 1.5 s of CPU time (however loaded the machine).
#include <time.h>
volatile unsigned long sink;
__attribute__((noinline)) void fp_hot(void) { for (int i = 0; i < 200000; i++) sink += i; }
__attribute__((noinline)) void fp_recurse(int n) { if (n == 0) fp_hot(); else fp_recurse(n - 1); sink++; }
#define STEP(name, next) __attribute__((noinline)) void name(void) { next; sink++; }
STEP(fp_path8, fp_recurse(40)) STEP(fp_path7, fp_path8()) STEP(fp_path6, fp_path7()) STEP(fp_path5, fp_path6())
STEP(fp_path4, fp_path5()) STEP(fp_path3, fp_path4()) STEP(fp_path2, fp_path3()) STEP(fp_path1, fp_path2())
int main(void) {
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		fp_path1();
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 1500);
	return 0;
}
