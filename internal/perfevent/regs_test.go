package perfevent

import (
	"encoding/binary"
	"math/bits"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
)

// userSample is a sample record of SampleType with periods, cgroup ids, user
// registers (register i holds 0x100+i) and a user stack copy of size bytes
// of which dyn were read (byte i is i).
func userSample(size, dyn uint64) []byte {
	b := make([]byte, 8, 256+size)
	for range 5 { // ip, pid+tid, time, cpu+reserved, period
		b = binary.LittleEndian.AppendUint64(b, 1)
	}
	b = binary.LittleEndian.AppendUint64(b, 0) // empty call chain
	b = binary.LittleEndian.AppendUint64(b, ABI64)
	for i := range NumRegs {
		if UserRegsMask&(1<<i) != 0 {
			b = binary.LittleEndian.AppendUint64(b, 0x100+uint64(i))
		}
	}
	b = binary.LittleEndian.AppendUint64(b, size)
	for i := range size {
		b = append(b, byte(i))
	}
	if size > 0 {
		b = binary.LittleEndian.AppendUint64(b, dyn)
	}
	b = binary.LittleEndian.AppendUint64(b, 42) // cgroup
	binary.LittleEndian.PutUint32(b, RecordSample)
	binary.LittleEndian.PutUint16(b[6:], uint16(len(b)))
	return b
}

const userSampleType = SampleType | sampleCgroup | unix.PERF_SAMPLE_REGS_USER | unix.PERF_SAMPLE_STACK_USER

func TestParseUserRegsAndStack(t *testing.T) {
	r, err := ParseRecord(userSample(64, 40), freqAttr(userSampleType))
	if err != nil {
		t.Fatal(err)
	}
	if r.UserABI != ABI64 || r.UserRegs[RegIP] != 0x100+RegIP || r.UserRegs[RegR15] != 0x100+RegR15 ||
		r.UserRegs[RegFlags] != 0 || len(r.UserStack) != 40 || r.UserStack[39] != 39 || r.Cgroup != 42 {
		t.Errorf("abi %d, regs %x, stack %d bytes, cgroup %d: want ABI64, register i 0x100+i but flags, "+
			"40 bytes of stack, cgroup 42", r.UserABI, r.UserRegs, len(r.UserStack), r.Cgroup)
	}
	if r, err := ParseRecord(userSample(0, 0), freqAttr(userSampleType)); err != nil || r.UserStack != nil || r.Cgroup != 42 {
		t.Errorf("no stack: %v, stack %x, cgroup %d", err, r.UserStack, r.Cgroup)
	}
	for name, rec := range map[string][]byte{
		"dyn beyond size": userSample(64, 72),
		"size not 8n":     userSample(63, 8),
		"cut":             userSample(64, 8)[:100],
	} {
		if len(rec) >= 8 {
			binary.LittleEndian.PutUint16(rec[6:], uint16(len(rec)))
		}
		if _, err := ParseRecord(rec, freqAttr(userSampleType)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestSampleUserRegsAndStack samples the calling thread with its user
// registers and stack, and checks them against the thread itself: the
// registers' rip is the sample's, and the frame pointer chain in the stack
// copy leads from the busy function to its caller.
func TestSampleUserRegsAndStack(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	o := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_TASK_CLOCK},
		Frequency: 1000, ExcludeKernel: true, UserRegs: true, UserStack: UserStackSize}
	a := o.Attr()
	if a.Sample_regs_user != UserRegsMask || bits.OnesCount64(UserRegsMask) != 17 || a.Sample_stack_user != UserStackSize {
		t.Fatalf("attr: regs %#x, stack %d", a.Sample_regs_user, a.Sample_stack_user)
	}
	ev, err := Open(&a, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	ring, err := ev.Mmap(256) // 20 KiB samples: a ring of 1 MiB holds 50
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	if err := ev.Enable(); err != nil {
		t.Fatal(err)
	}
	spinCaller(100 * time.Millisecond)
	if err := ev.Disable(); err != nil {
		t.Fatal(err)
	}
	var samples, inSpin, callerFound int
	err = ring.Read(func(rec []byte) {
		r, err := ParseRecord(rec, &a)
		if err != nil {
			t.Fatalf("record: %v", err)
		}
		if r.Type != RecordSample {
			return
		}
		samples++
		ip, sp, bp := r.UserRegs[RegIP], r.UserRegs[RegSP], r.UserRegs[RegBP]
		if r.UserABI != ABI64 || ip != r.IP || sp == 0 || len(r.UserStack) == 0 || len(r.UserStack) > UserStackSize {
			t.Fatalf("abi %d, rip %#x (sample ip %#x), rsp %#x, %d bytes of stack", r.UserABI, ip, r.IP, sp, len(r.UserStack))
		}
		if f := runtime.FuncForPC(uintptr(ip)); f == nil || !strings.HasSuffix(f.Name(), ".spin") {
			return
		}
		inSpin++
		// spin has a frame pointer: its caller's return address is at
		// rbp+8, in the copy.
		if off := bp - sp; bp >= sp && off+16 <= uint64(len(r.UserStack)) {
			ra := binary.LittleEndian.Uint64(r.UserStack[off+8:])
			if f := runtime.FuncForPC(uintptr(ra)); f != nil && strings.HasSuffix(f.Name(), ".spinCaller") {
				callerFound++
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d samples, %d in spin, %d of them with spinCaller at rbp+8 in the stack copy", samples, inSpin, callerFound)
	if samples < 50 || inSpin < samples/2 || callerFound < inSpin*9/10 {
		t.Errorf("%d samples, %d in spin, %d with the caller found: want ≥50, most in spin, nearly all with the caller",
			samples, inSpin, callerFound)
	}
}

//go:noinline
func spinCaller(d time.Duration) int { return spin(d) + 1 }
