// offcpu_unseen: a worker thread that never blocks until told to, for the
// tests of blocks whose switch in the off-CPU program did not see. The
// program prints "ready TID" (the worker's tid). At each line "nap" on
// its standard input the worker, which spins otherwise, sleeps 1 ms once
// in nap (one block) and the program prints "napped". It exits at the end
// of its input. The main thread waits for each nap on a condition variable,
// so that the process blocks as few times as it can: the tests count the
// blocks it loses.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_long asked;
static long done; // under mu
static atomic_int tid;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t napped = PTHREAD_COND_INITIALIZER;

__attribute__((noinline)) void nap(void)
{
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
	(void)arg;
	atomic_store(&tid, gettid());
	for (;;) {
		long n = atomic_load(&asked);
		if (n > done) { // only this thread writes done
			nap();
			pthread_mutex_lock(&mu);
			done = n;
			pthread_cond_signal(&napped);
			pthread_mutex_unlock(&mu);
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		return 1;
	while (atomic_load(&tid) == 0)
		;
	printf("ready %d\n", atomic_load(&tid));
	fflush(stdout);
	char line[64];
	while (fgets(line, sizeof line, stdin)) {
		if (strcmp(line, "nap\n") != 0)
			continue;
		long n = atomic_fetch_add(&asked, 1) + 1;
		pthread_mutex_lock(&mu);
		while (done < n)
			pthread_cond_wait(&napped, &mu);
		pthread_mutex_unlock(&mu);
		printf("napped\n");
		fflush(stdout);
	}
	return 0;
}
