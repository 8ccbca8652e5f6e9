// sleeps: the latency tests' workload, a bimodal wait. Each of ROUNDS
// rounds, its main thread sleeps SHORTS times 1.1 ms in ppoll (nap_short)
// and then 100 ms in clock_nanosleep (nap_long): its off-CPU blocks are in
// the log2 buckets 1024 -> 2047 us (ROUNDS*SHORTS of them, in ppoll) and
// 65536 -> 131071 us (ROUNDS, in clock_nanosleep).
//
// sleeps ROUNDS SHORTS [--perf-script]
//
// With --perf-script it times each sleep itself (CLOCK_MONOTONIC before
// and after) and prints it as perf script prints an offcpu-time sample of
// a capture: a header with the time it woke and the nanoseconds it slept,
// then its frames (the libc function, nap_short or nap_long, main), named
// by dladdr (build with -rdynamic), leaf first; and at the end, on
// stderr, its own log2 histogram of them, a line a bucket counted:
// "BUCKET COUNT", the bucket of d microseconds being floor(log2(d)) (0 for
// 0 and 1), as bcc's tools count them.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int report;
static long hist[64];

int main(int argc, char **argv);

static long long now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void frame(void *addr) {
	Dl_info info;
	if (dladdr(addr, &info) == 0 || info.dli_sname == NULL) {
		printf("\t%16lx [unknown] ([unknown])\n", (unsigned long)addr);
		return;
	}
	printf("\t%16lx %s (%s)\n", (unsigned long)addr, info.dli_sname, info.dli_fname);
}

// sample prints a sleep from start to end as an offcpu-time sample.
static void sample(long long start, long long end, void *leaf, void *caller) {
	if (!report)
		return;
	long long us = (end - start) / 1000;
	int b = 0;
	while (us > 1) {
		us >>= 1;
		b++;
	}
	hist[b]++;
	printf("sleeps %5d/%-5d [%03d] %5lld.%06lld: %10lld offcpu-time: \n", getpid(), gettid(), sched_getcpu(),
	       end / 1000000000LL, end % 1000000000LL / 1000, end - start);
	frame(leaf);
	frame(caller);
	frame((void *)main);
	printf("\n");
}

__attribute__((noinline)) void nap_short(void) {
	struct timespec ts = {0, 1100000};
	long long start = now();
	ppoll(NULL, 0, &ts, NULL);
	sample(start, now(), (void *)ppoll, (void *)nap_short);
}

__attribute__((noinline)) void nap_long(void) {
	struct timespec ts = {0, 100000000};
	long long start = now();
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	sample(start, now(), (void *)clock_nanosleep, (void *)nap_long);
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: sleeps ROUNDS SHORTS [--perf-script]\n");
		return 2;
	}
	int rounds = atoi(argv[1]), shorts = atoi(argv[2]);
	report = argc > 3 && strcmp(argv[3], "--perf-script") == 0;
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < shorts; i++)
			nap_short();
		nap_long();
	}
	for (int b = 0; report && b < 64; b++)
		if (hist[b])
			fprintf(stderr, "%d %ld\n", b, hist[b]);
	return 0;
}
