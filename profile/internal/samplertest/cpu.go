package samplertest

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// CPUTime returns the CPU time the main thread of process pid has run, in
// nanoseconds, from /proc/PID/schedstat: the process's own for a program
// of one thread.
func CPUTime(tb testing.TB, pid uint32) time.Duration {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	ns, err := strconv.ParseUint(strings.Fields(string(b))[0], 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ns)
}

// WaitCPUTime waits until the main thread of process pid has run d of CPU
// time more, or 30 s have passed: on a busy machine a workload gets less
// than a CPU.
func WaitCPUTime(tb testing.TB, pid uint32, d time.Duration) {
	tb.Helper()
	base := CPUTime(tb, pid)
	for deadline := time.Now().Add(30 * time.Second); CPUTime(tb, pid)-base < d && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
}

// ProcessCPUTime returns the user and system CPU time process pid has
// used, all its threads included (those that ended too), from
// /proc/PID/stat, in clock ticks of 10 ms.
func ProcessCPUTime(tb testing.TB, pid uint32) time.Duration {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if i < 0 || err1 != nil || err2 != nil {
		tb.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// SpinFor burns d of CPU time on one thread.
//
//go:noinline
func SpinFor(d time.Duration) (n uint64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	for end := ts.Nano() + d.Nanoseconds(); ts.Nano() < end; unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) {
		for i := range uint64(100000) {
			n += i ^ n
		}
	}
	return n
}

// InKernel keeps a goroutine of the test making system calls, so that
// kernel stacks are sampled, until the returned function is called.
func InKernel() (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				unix.Getppid()
			}
		}
	}()
	return func() { close(done) }
}
