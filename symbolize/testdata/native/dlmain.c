// dlmain says "ready", dlopens the library argv[1] once a line comes on
// its stdin, prints the address of its dl_late_hot, and exits after another
// line.
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
	char line[16];
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin)) return 1;
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) return 2;
	printf("loaded %p\n", dlsym(h, "dl_late_hot"));
	fflush(stdout);
	fgets(line, sizeof line, stdin);
	return 0;
}
