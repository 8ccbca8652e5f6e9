package symbolize

import (
	"os"
	"reflect"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/procfs"
)

// TestProcessExecutable asks a snapshot of this process about its code (a
// function of the test binary, the vDSO, anonymous executable memory) and
// about data (the heap, the stack, an address nothing maps).
func TestProcessExecutable(t *testing.T) {
	anon, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(anon)
	p := snapshot(t, os.Getpid())

	pc, _, _, _ := runtime.Caller(0)
	heap := new([64]byte)
	var local int
	code := map[string]uint64{
		"this function":            uint64(pc),
		"a function of the binary": uint64(reflect.ValueOf(TestProcessExecutable).Pointer()),
		"anonymous executable":     uint64(uintptr(unsafe.Pointer(&anon[100]))),
	}
	maps, err := procfs.ReadExecutableMaps(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range maps {
		if m.Path == "[vdso]" {
			code["the vDSO"] = m.Start + 16
		}
	}
	if _, ok := code["the vDSO"]; !ok {
		t.Fatal("no [vdso] in /proc/self/maps")
	}
	data := map[string]uint64{
		"the heap":         uint64(uintptr(unsafe.Pointer(heap))),
		"the stack":        uint64(uintptr(unsafe.Pointer(&local))),
		"page zero":        0x10,
		"above user space": 1 << 47,
	}
	for what, addr := range code {
		if !p.Executable(addr) {
			t.Errorf("%s (%#x) is not executable", what, addr)
		}
	}
	for what, addr := range data {
		if p.Executable(addr) {
			t.Errorf("%s (%#x) is executable", what, addr)
		}
	}
	runtime.KeepAlive(heap)
}
