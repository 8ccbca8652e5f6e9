// Waits 300 ms, then spins on three threads it creates then (in spinner),
// then waits for good.
#include <pthread.h>
#include <unistd.h>
volatile unsigned long sink;
void *spinner(void *arg) {
	for (unsigned long i = 0; i < 400000000UL; i++) sink += i;
	return 0;
}
int main(void) {
	usleep(300000);
	pthread_t t[3];
	for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, spinner, 0);
	for (int i = 0; i < 3; i++) pthread_join(t[i], 0);
	pause();
}
