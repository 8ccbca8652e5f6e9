// A jitdump writer that buffers like V8's --perf-prof: a glibc stream,
// fully buffered, so that the newest records stay in the process's memory
// until the buffer fills, fflush or exit. It prints "started" and waits for
// a line before it creates ./jit-PID.dump (so a snapshot can be taken
// before the dump exists), then writes
//   flushed_fn    at 0x10000, flushed to the file;
//   straddling_fn at 0x20000, whose 5000 bytes of code glibc writes partly
//                 to the file (whole blocks) and partly to its buffer;
//   buffered_fn   at 0x30000, in the buffer only, with a DEBUG_INFO record
//                 naming buffered.js:7;
// prints "ready", and exits (flushing) at the end of its input.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static FILE *out;

static uint64_t now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

// record_header writes id, total_size and timestamp.
static void record_header(uint32_t id, uint32_t size) {
	uint64_t ts = now();
	fwrite(&id, 4, 1, out);
	fwrite(&size, 4, 1, out);
	fwrite(&ts, 8, 1, out);
}

// code_load writes a CODE_LOAD record in pieces, as V8 does.
static void code_load(uint64_t addr, uint64_t size, const char *name, size_t code_bytes) {
	static uint64_t index;
	uint32_t pid = getpid(), tid = getpid();
	size_t n = strlen(name) + 1;
	record_header(0, 16 + 40 + n + code_bytes);
	fwrite(&pid, 4, 1, out);
	fwrite(&tid, 4, 1, out);
	uint64_t fixed[4] = {addr, addr, size, index++};
	fwrite(fixed, 8, 4, out);
	fwrite(name, 1, n, out);
	static char code[8192];
	fwrite(code, 1, code_bytes, out);
}

// debug_info writes a DEBUG_INFO record of one entry, file:line at addr.
static void debug_info(uint64_t addr, const char *file, uint32_t line) {
	size_t n = strlen(file) + 1, size = 16 + 16 + 16 + n;
	size_t padded = (size + 7) & ~(size_t)7;
	record_header(2, padded);
	uint64_t fixed[2] = {addr, 1};
	fwrite(fixed, 8, 2, out);
	uint32_t entry[4] = {(uint32_t)addr, (uint32_t)(addr >> 32), line, 0};
	fwrite(entry, 4, 4, out);
	fwrite(file, 1, n, out);
	static const char pad[8];
	fwrite(pad, 1, padded - size, out);
}

int main(void) {
	char line[64];
	printf("started\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 1;
	char name[64];
	snprintf(name, sizeof name, "jit-%d.dump", getpid());
	out = fopen(name, "w+");
	if (!out)
		return 1;
	setvbuf(out, NULL, _IOFBF, 2 << 20);
	long page = sysconf(_SC_PAGESIZE);
	if (mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fileno(out), 0) == MAP_FAILED)
		return 1;
	uint32_t header[10] = {0x4A695444, 1, 40, 62, 0, (uint32_t)getpid()};
	fwrite(header, 4, 10, out);
	code_load(0x10000, 0x100, "flushed_fn", 64);
	fflush(out);
	code_load(0x20000, 0x100, "straddling_fn", 5000);
	debug_info(0x30000, "buffered.js", 7);
	code_load(0x30000, 0x100, "buffered_fn", 64);
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin))
		;
	return 0;
}
