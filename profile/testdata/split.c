// Spins for good in two functions: hot takes 3/4 of the CPU time, cold 1/4,
// both called from main.
#include <unistd.h>
volatile unsigned long sink;
void hot(void)  { for (unsigned long i = 0; i < 3000000; i++) sink += i; }
void cold(void) { for (unsigned long i = 0; i < 1000000; i++) sink += i; }
int main(void) { for (;;) { hot(); cold(); } }
