// PAIRS pairs of threads (argument 1, default 1) ping-pong a byte over two
// pipes ROUNDS times each (argument 2, default 100000), started by a line
// on standard input: each round blocks each thread once in a read. The
// program prints "ready", then after the line "start N" with the voluntary
// context switches of the process so far, and after the rounds "end N";
// then it waits for the end of its input.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static long rounds = 100000;

struct pair {
	int ping[2], pong[2];
};

__attribute__((noinline)) void *ping(void *arg)
{
	struct pair *p = arg;
	char c = 'x';
	for (long i = 0; i < rounds; i++)
		if (write(p->ping[1], &c, 1) != 1 || read(p->pong[0], &c, 1) != 1)
			exit(1);
	return NULL;
}

__attribute__((noinline)) void *pong(void *arg)
{
	struct pair *p = arg;
	char c;
	for (long i = 0; i < rounds; i++)
		if (read(p->ping[0], &c, 1) != 1 || write(p->pong[1], &c, 1) != 1)
			exit(1);
	return NULL;
}

static long switches(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw;
}

int main(int argc, char **argv)
{
	int pairs = argc > 1 ? atoi(argv[1]) : 1;
	if (argc > 2)
		rounds = atol(argv[2]);
	char line[64];
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 1;
	printf("start %ld\n", switches());
	fflush(stdout);
	pthread_t t[2 * 64];
	struct pair p[64];
	if (pairs < 1 || pairs > 64)
		return 1;
	for (int i = 0; i < pairs; i++) {
		if (pipe(p[i].ping) || pipe(p[i].pong) ||
		    pthread_create(&t[2 * i], NULL, ping, &p[i]) ||
		    pthread_create(&t[2 * i + 1], NULL, pong, &p[i]))
			return 1;
	}
	for (int i = 0; i < 2 * pairs; i++)
		pthread_join(t[i], NULL);
	printf("end %ld\n", switches());
	fflush(stdout);
	while (fgets(line, sizeof line, stdin))
		;
	return 0;
}
