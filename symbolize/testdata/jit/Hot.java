public class Hot {
    static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
    public static void main(String[] args) throws Exception {
        long end = System.currentTimeMillis() + 1500, x = 0;
        while (System.currentTimeMillis() < end) x += fib(20);
        System.out.println("ready " + (x > 0));
        System.in.read();
    }
}
