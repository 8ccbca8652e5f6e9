// Built with -O2 -fomit-frame-pointer. Its hot leaf, reached through
// path1 ... path8, walks a list with the node pointer in rbp, as code
// without frame pointers may keep any pointer there: a frame-pointer walk
// from inside walk_list takes each node for a frame, next for the saved rbp
// and value for the return address. With no argument the list is 500 nodes
// whose values are data (their own addresses): the walk reads up to the
// depth limit of return addresses in no executable mapping. With "cycle",
// the walk goes round a ring of three nodes whose values are addresses in
// the program's code, until the depth limit. It runs for 1.5 s.
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct node { struct node *next; unsigned long value; };

__attribute__((noinline)) unsigned long walk_list(struct node *head, long steps) {
	unsigned long sum = 0;
	__asm__ volatile(
		"push %%rbp\n\t"
		"mov %[head], %%rbp\n\t"
		"1:\n\t"
		"add 8(%%rbp), %[sum]\n\t"
		"mov (%%rbp), %%rbp\n\t"
		"dec %[steps]\n\t"
		"jnz 1b\n\t"
		"pop %%rbp\n\t"
		: [sum] "+r"(sum), [steps] "+r"(steps)
		: [head] "r"(head)
		: "cc", "memory");
	return sum;
}

enum { N = 500 };
volatile unsigned long sink;
#define STEP(name, next) __attribute__((noinline)) void name(struct node *h) { next(h); sink++; }
__attribute__((noinline)) void path_leaf(struct node *h) { sink += walk_list(h, N - 1); }
STEP(path8, path_leaf) STEP(path7, path8) STEP(path6, path7) STEP(path5, path6)
STEP(path4, path5) STEP(path3, path4) STEP(path2, path3) STEP(path1, path2)

int main(int argc, char **argv) {
	struct node *nodes = calloc(N, sizeof *nodes);
	for (int i = 0; i < N; i++) {
		nodes[i].next = i + 1 < N ? &nodes[i + 1] : 0;
		nodes[i].value = (unsigned long)&nodes[i];
	}
	if (argc > 1 && strcmp(argv[1], "cycle") == 0) {
		void (*code[3])(struct node *) = {path3, path5, path7};
		for (int i = 0; i < 3; i++) {
			nodes[i].next = &nodes[(i + 1) % 3];
			nodes[i].value = (unsigned long)code[i] + 4;
		}
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		path1(nodes);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 1500);
	return 0;
}
