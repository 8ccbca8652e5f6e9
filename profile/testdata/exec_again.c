// Spins in before_exec for 300 ms of its CPU time, then execs itself with
// the argument "again" and spins in after_exec as long: one pid, two
// address spaces (the second one mapped elsewhere), a hot function in each.
#include <string.h>
#include <time.h>
#include <unistd.h>
volatile unsigned long sink;
static void spin(long ms) {
	struct timespec t0, t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 100000; i++) sink += i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < ms * 1000000L);
}
void before_exec(void) { spin(300); }
void after_exec(void) { spin(300); }
int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "again") == 0) {
		after_exec();
		return 0;
	}
	before_exec();
	char *again[] = {argv[0], "again", NULL};
	execv(argv[0], again); // a path: /proc/self/exe would rename it "exe"
	return 1;
}
