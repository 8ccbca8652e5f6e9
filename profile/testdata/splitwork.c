// Forks a child (to check that children are followed) that spends three
// parts of its CPU in session_alpha and one in session_beta, for about a
// second and a half. Each spins by its thread's CPU clock, 3x then x µs
// with x drawn from 150 to 549, so the split is 3:1 of CPU time whatever
// the loops cost on the machine (by iteration counts it was 2.1 to 3.5
// under load), and no sampling period falls in step with the rounds (with
// a fixed 3 ms + 1 ms, 499 Hz sampling gave 4:1).
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
volatile unsigned long sink;
static long cpu_us_since(const struct timespec *t0) {
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000 + (t.tv_nsec - t0->tv_nsec) / 1000;
}
void session_alpha(long us) {
	struct timespec t0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (unsigned long i = 0; i < 2000; i++) sink += i * i;
	} while (cpu_us_since(&t0) < us);
}
void session_beta(long us) {
	struct timespec t0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (unsigned long i = 0; i < 2000; i++) sink ^= i * 7;
	} while (cpu_us_since(&t0) < us);
}
int main(void) {
	pid_t child = fork();
	if (child == 0) {
		struct timespec t0, t;
		unsigned long r = 12345;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		do {
			r = r * 6364136223846793005ul + 1442695040888963407ul;
			long x = 150 + (long)((r >> 33) % 400);
			session_alpha(3 * x);
			session_beta(x);
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 1500);
		_exit(0);
	}
	waitpid(child, 0, 0);
	return 0;
}
