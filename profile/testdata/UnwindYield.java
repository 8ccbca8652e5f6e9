// Yields the CPU for the seconds its argument says (default 2): Thread.yield goes from compiled Java code (frame
// pointers with -XX:+PreserveFramePointer) into the JVM (JVM_Yield, in
// libjvm) and libc's sched_yield, a system call wrapper without a frame.
public class UnwindYield {
    static long yieldMany(int n) {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            Thread.yield();
            sum += i;
        }
        return sum;
    }
    public static void main(String[] args) {
        long secs = args.length > 0 ? Long.parseLong(args[0]) : 2;
        long end = System.currentTimeMillis() + 1000 * secs, x = 0;
        while (System.currentTimeMillis() < end) x += yieldMany(1000);
        System.out.println(x > 0);
    }
}
