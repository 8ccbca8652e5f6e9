package perfevent

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
)

// spin burns d of CPU time on the calling thread.
func spin(d time.Duration) (n int) {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	for end := ts.Nano() + d.Nanoseconds(); ts.Nano() < end; unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) {
		for i := 0; i < 1e5; i++ {
			n += i * i
		}
	}
	return n
}

func TestSampleOwnThread(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	o := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_TASK_CLOCK},
		Frequency: 1000, ExcludeKernel: true, Task: true}
	a := o.Attr()
	ev, err := Open(&a, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	ring, err := ev.Mmap(8)
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	if err := ev.Enable(); err != nil {
		t.Fatal(err)
	}
	spin(200 * time.Millisecond)
	if err := ev.Disable(); err != nil {
		t.Fatal(err)
	}
	tid := uint32(unix.Gettid())
	var samples, withUser int
	err = ring.Read(func(rec []byte) {
		r, err := ParseRecord(rec, &a)
		if err != nil {
			t.Errorf("record: %v", err)
			return
		}
		if r.Type != RecordSample {
			return
		}
		samples++
		if r.TID != tid || r.Period == 0 || r.Time == 0 {
			t.Errorf("sample %+v: want tid %d, a period and a time", r, tid)
		}
		k, u := SplitCallchain(r.Callchain)
		if len(k) != 0 {
			t.Errorf("kernel stack %x with ExcludeKernel", k)
		}
		if len(u) > 2 {
			withUser++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d samples, %d with user stacks", samples, withUser)
	if samples < 100 || withUser < samples*9/10 {
		t.Errorf("%d samples, %d with user stacks: want ≥100 (200 ms of task-clock at 1 kHz), nearly all with stacks", samples, withUser)
	}
}

func TestOpenHardwareNotSupported(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	a := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_HARDWARE, Config: unix.PERF_COUNT_HW_CPU_CYCLES}, Frequency: 99, ExcludeKernel: true}.Attr()
	ev, err := Open(&a, 0, -1)
	if err == nil {
		ev.Close()
		t.Skip("this machine has a PMU")
	}
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("%v: want ErrNotSupported", err)
	}
}

func TestInheritPerTaskMmapRefused(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	// Documents why the profiler opens per-CPU events per thread: the
	// kernel refuses to mmap an inherited per-task (cpu -1) event.
	a := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_TASK_CLOCK},
		Frequency: 99, ExcludeKernel: true, Inherit: true}.Attr()
	ev, err := Open(&a, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	if r, err := ev.Mmap(1); err == nil {
		r.Close()
		t.Log("this kernel maps inherited per-task events")
	} else if !errors.Is(err, unix.EINVAL) {
		t.Errorf("%v: want EINVAL", err)
	}
}

func TestOpenErrorMapping(t *testing.T) {
	sw := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE}}.Attr()
	hw := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_HARDWARE}}.Attr()
	for _, c := range []struct {
		errno      unix.Errno
		a          *unix.PerfEventAttr
		pid        int
		perm, nsup bool
	}{
		{unix.EACCES, &sw, -1, true, false},
		{unix.EPERM, &sw, 0, true, false},
		{unix.ENOENT, &hw, 0, false, true},
		{unix.EOPNOTSUPP, &sw, 0, false, true},
		{unix.EINVAL, &hw, 0, false, true},
		{unix.EINVAL, &sw, 0, false, false},
		{unix.ESRCH, &sw, 42, false, false},
	} {
		err := openError(c.errno, c.a, c.pid, -1)
		if errors.Is(err, ErrPermission) != c.perm || errors.Is(err, ErrNotSupported) != c.nsup || !errors.Is(err, c.errno) {
			t.Errorf("%v (type %d, pid %d) → %v: want permission %t, not supported %t, the errno kept",
				c.errno, c.a.Type, c.pid, err, c.perm, c.nsup)
		}
	}
	err := openError(unix.EACCES, &sw, -1, 0)
	if p, perr := Paranoid(); perr == nil && p > 0 && !strings.Contains(err.Error(), "perf_event_paranoid") {
		t.Errorf("%v: want advice naming kernel.perf_event_paranoid", err)
	}
}
