/* symwork: one known function, symwork_hot, at line 4, built with -g for
   the symbolize tests and run briefly by the record tests. */
volatile int sink;
__attribute__((noinline)) void symwork_hot(void) { for (int i = 0; i < 100; i++) sink += i; }
int main(void) { symwork_hot(); return 0; }
