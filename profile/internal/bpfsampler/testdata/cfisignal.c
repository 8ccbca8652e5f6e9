// Built with -O2 -fomit-frame-pointer: a profiling timer's signal handler
// (on_tick) spins for most of the program's time, interrupting work,
// which main calls for good. A walk from on_tick must cross the kernel's
// signal frame (__restore_rt) into work, then main. It prints "ready"
// once running.
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
volatile unsigned long sink;
__attribute__((noinline)) static void on_tick(int sig) {
	for (unsigned long i = 0; i < 3000000; i++)
		sink += i ^ sig;
}
__attribute__((noinline)) void work(void) {
	for (unsigned long i = 0; i < 1000000; i++)
		sink += i;
}
int main(void) {
	struct sigaction sa = { .sa_handler = on_tick };
	sigaction(SIGPROF, &sa, 0);
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
	setitimer(ITIMER_PROF, &it, 0);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		work();
}
