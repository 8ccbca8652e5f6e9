// workload does one thing whose counts are known, for pmc's tests:
//   workload pages N   touches N fresh anonymous pages (one minor fault each)
//   workload sleep N   sleeps 1 ms N times (N voluntary context switches)
//   workload spin MS   spins for MS milliseconds of CPU time
//   workload threads K MS  waits for a line on stdin, then starts K threads
//                      that each spin MS milliseconds, and joins them
//   workload prethreads K MS  starts K threads that wait, then (after
//                      "ready") a line on stdin lets each spin MS ms
// It prints "ready" when it starts and "done" at the end.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double cputime(void) {
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static volatile unsigned long sink;

static void spin(long ms) {
	double end = cputime() + ms;
	while (cputime() < end)
		for (int i = 0; i < 1000; i++)
			sink += i;
}

static void *spinner(void *arg) {
	spin((long)arg);
	return NULL;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go;

static void *waiter(void *arg) {
	pthread_mutex_lock(&mu);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	spin((long)arg);
	return NULL;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: workload pages|sleep|spin|threads N [MS]\n");
		return 2;
	}
	long n = atol(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "prethreads") == 0 && argc == 4) {
		pthread_t t[64];
		char line[16];
		for (long i = 0; i < n && i < 64; i++)
			pthread_create(&t[i], NULL, waiter, (void *)atol(argv[3]));
		printf("ready\n");
		if (!fgets(line, sizeof line, stdin))
			return 1;
		pthread_mutex_lock(&mu);
		go = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		for (long i = 0; i < n && i < 64; i++)
			pthread_join(t[i], NULL);
		printf("done\n");
		return 0;
	}
	printf("ready\n");
	if (strcmp(argv[1], "pages") == 0 && n > 0) {
		long pg = sysconf(_SC_PAGESIZE);
		char *p = mmap(NULL, n * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		madvise(p, n * pg, MADV_NOHUGEPAGE);
		for (long i = 0; i < n; i++)
			p[i * pg] = 1;
	} else if (strcmp(argv[1], "pages") == 0) {
		/* nothing to touch */
	} else if (strcmp(argv[1], "sleep") == 0) {
		struct timespec ms = {0, 1000000};
		for (long i = 0; i < n; i++)
			nanosleep(&ms, NULL);
	} else if (strcmp(argv[1], "spin") == 0) {
		spin(n);
	} else if (strcmp(argv[1], "threads") == 0 && argc == 4) {
		char line[16];
		if (!fgets(line, sizeof line, stdin))
			return 1;
		pthread_t t[64];
		for (long i = 0; i < n && i < 64; i++)
			pthread_create(&t[i], NULL, spinner, (void *)atol(argv[3]));
		for (long i = 0; i < n && i < 64; i++)
			pthread_join(t[i], NULL);
	} else {
		return 2;
	}
	printf("done\n");
	return 0;
}
