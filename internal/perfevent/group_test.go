package perfevent

import (
	"encoding/binary"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestOpenGroup: two software events opened as one group on this thread
// have distinct ids, are enabled, reset and read together: one read of
// the leader returns both values, tagged with their ids.
func TestOpenGroup(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	attr := func(config uint64, disabled bool) unix.PerfEventAttr {
		a := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: config, Size: uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
			Read_format: unix.PERF_FORMAT_GROUP | unix.PERF_FORMAT_ID, Bits: unix.PerfBitExcludeKernel}
		if disabled {
			a.Bits |= unix.PerfBitDisabled
		}
		return a
	}
	la, ma := attr(unix.PERF_COUNT_SW_TASK_CLOCK, true), attr(unix.PERF_COUNT_SW_PAGE_FAULTS, false)
	leader, err := OpenGroup(&la, 0, -1, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer leader.Close()
	member, err := OpenGroup(&ma, 0, -1, leader, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	lid, err1 := leader.ID()
	mid, err2 := member.ID()
	if err1 != nil || err2 != nil || lid == 0 || lid == mid {
		t.Fatalf("ids %d, %d (%v, %v)", lid, mid, err1, err2)
	}
	read := func() (nr, l, m uint64) {
		buf := make([]byte, 64)
		n, err := leader.Read(buf)
		if err != nil || n != 40 {
			t.Fatalf("read %d bytes: %v", n, err)
		}
		u := func(i int) uint64 { return binary.LittleEndian.Uint64(buf[8*i:]) }
		if u(2) != lid || u(4) != mid {
			t.Fatalf("ids read %d, %d; want %d, %d", u(2), u(4), lid, mid)
		}
		return u(0), u(1), u(3)
	}
	if err := leader.EnableGroup(); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 1
	}
	if err := leader.DisableGroup(); err != nil {
		t.Fatal(err)
	}
	if nr, l, _ := read(); nr != 2 || l == 0 {
		t.Errorf("group read: %d values, task-clock %d", nr, l)
	}
	if err := leader.ResetGroup(); err != nil {
		t.Fatal(err)
	}
	if _, l, m := read(); l != 0 || m != 0 {
		t.Errorf("after ResetGroup: %d, %d", l, m)
	}
}
