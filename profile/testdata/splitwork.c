// Forks a child (to check that children are followed) that spends three
// parts of its CPU in session_alpha and one in session_beta, for about a
// second and a half.
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
volatile unsigned long sink;
void session_alpha(void) { for (unsigned long i = 0; i < 3000000; i++) sink += i * i; }
void session_beta(void)  { for (unsigned long i = 0; i < 1000000; i++) sink ^= i * 7; }
int main(void) {
	pid_t child = fork();
	if (child == 0) {
		struct timespec t0, t;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		do {
			session_alpha();
			session_beta();
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 1500);
		_exit(0);
	}
	waitpid(child, 0, 0);
	return 0;
}
