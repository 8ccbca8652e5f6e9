// Spins for 2 s in Hot.fib, which the JIT compiles.
public class Hot {
    static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
    public static void main(String[] args) {
        long end = System.currentTimeMillis() + 2000, x = 0;
        while (System.currentTimeMillis() < end) x += fib(22);
        System.out.println(x > 0);
    }
}
