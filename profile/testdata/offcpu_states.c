// The main thread waits in two states in turn: vfork_wait starts a child
// sharing its memory (CLONE_VM | CLONE_VFORK) that sleeps 3 ms then exits,
// and waits for it uninterruptibly (TASK_KILLABLE, as vfork does); nap
// sleeps 2 ms interruptibly. Prints "ready" once it runs.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define after() __asm__ volatile("" ::: "memory")

static char child_stack[64 * 1024] __attribute__((aligned(16)));

static int child(void *arg)
{
	struct timespec ts = { 0, 3000000 };
	(void)arg;
	nanosleep(&ts, NULL);
	_exit(0);
}

__attribute__((noinline)) void vfork_wait(void)
{
	if (clone(child, child_stack + sizeof child_stack,
		  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL) < 0)
		_exit(1);
	after();
}

__attribute__((noinline)) void nap(void)
{
	struct timespec ts = { 0, 2000000 };
	nanosleep(&ts, NULL);
	after();
}

int main(void)
{
	signal(SIGCHLD, SIG_IGN); // children are reaped as they exit
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		vfork_wait();
		nap();
	}
}
