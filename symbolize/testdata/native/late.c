// late is the library dlmain.c loads late.
volatile int sink;
void dl_late_hot(void) { for (int i = 0; i < 1000; i++) sink += i; }
