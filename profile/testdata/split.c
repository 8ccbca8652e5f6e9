// Spins for good in two functions, both called from main: hot takes 3/4 of
// the CPU time, cold 1/4. Each round runs the same loop 3n times in hot and
// n times in cold, n drawn at random (a round of 1 to 5 ms), so no sampling
// period falls in step with the rounds: with a fixed round of 4 ms, hot
// had 68% of the samples at 997 Hz on one machine. hot and cold are the
// same code at the same offset from a 64-byte boundary, so that neither
// loop runs slower for crossing one (cfisplit.c's did, by a tenth).
volatile unsigned long sink;
#define SPIN __attribute__((noipa, aligned(64)))
SPIN void hot(unsigned long n)  { for (unsigned long i = 0; i < n; i++) sink += i; }
SPIN void cold(unsigned long n) { for (unsigned long i = 0; i < n; i++) sink += i; }
int main(void) {
	unsigned long r = 12345;
	for (;;) {
		r = r * 6364136223846793005ul + 1442695040888963407ul;
		unsigned long n = 250000 + (r >> 33) % 1000000;
		hot(3 * n);
		cold(n);
	}
}
