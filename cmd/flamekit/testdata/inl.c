/* inl: hot, at line 5, with add inlined into it at -O2, for comparing
   flamekit symbolize with llvm-symbolizer. */
volatile int sink;
static inline int add(int a, int b) { sink += a; return a * b + sink; }
__attribute__((noinline)) int hot(int n) { int s = 0; for (int i = 0; i < n; i++) s += add(i, n); return s; }
int main(int argc, char **argv) { return hot(argc * 1000); }
