// Spins a while in burst, then exits.
volatile unsigned long sink;
void burst(void) { for (unsigned long i = 0; i < 150000000UL; i++) sink += i; }
int main(void) { burst(); return 0; }
