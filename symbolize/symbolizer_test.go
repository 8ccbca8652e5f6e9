package symbolize_test

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/symbolize"
)

// buildSymwork builds testdata/native/symwork.c, a C program that prints
// the runtime address of two of its functions, then waits for its stdin
// to close before exiting.
func buildSymwork(t *testing.T, flags ...string) string {
	t.Helper()
	return testenv.BuildC(t, "gcc", "symwork", []string{"testdata/native/symwork.c"}, flags...)
}

// symbolAddr returns a function's link-time address from the ELF symtab.
func symbolAddr(t *testing.T, bin, name string) uint64 {
	t.Helper()
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, err := ef.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("%s has no symbol %s", bin, name)
	return 0
}

func TestSymbolizerFile(t *testing.T) {
	bin := buildSymwork(t, "-g", "-O1", "-fPIE", "-pie")
	alpha := symbolAddr(t, bin, "symbolizer_alpha")
	s := symbolize.New(symbolize.Options{})
	defer s.Close()

	frames, err := s.File(t.Context(), bin, []uint64{alpha, alpha + 2, 0xdeadbeef00}, symbolize.VirtualAddress, symbolize.LookupOptions{Lines: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames[:2] {
		f := fr[len(fr)-1]
		if f.Function != "symbolizer_alpha" || f.Kind != symbolize.KindNative || f.Line != 4 || !strings.HasSuffix(f.File, "symwork.c") {
			t.Errorf("frame %+v: want symbolizer_alpha at symwork.c:4", f)
		}
		if f.Module.Path != bin || f.Module.BuildID == "" {
			t.Errorf("module %+v: want %s with a build-id", f.Module, bin)
		}
	}
	unknown := frames[2]
	if len(unknown) != 1 || unknown[0].Kind != symbolize.KindUnknown || unknown[0].Module.Path != bin {
		t.Errorf("an address outside the file gave %+v, want one unknown frame of %s", unknown, bin)
	}

	// The same function by file offset.
	off := frames[0][0].Offset
	byOff, err := s.File(t.Context(), bin, []uint64{off}, symbolize.FileOffset, symbolize.LookupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := byOff[0][0]; got.Function != "symbolizer_alpha" || got.Offset != off {
		t.Errorf("by file offset %#x: %+v", off, got)
	}

	if _, err := s.File(t.Context(), filepath.Join(t.TempDir(), "missing"), []uint64{1}, symbolize.VirtualAddress, symbolize.LookupOptions{}); err == nil {
		t.Error("a missing file gave no error")
	}
	notELF := filepath.Join(t.TempDir(), "text")
	os.WriteFile(notELF, []byte("not an ELF file"), 0o644)
	if _, err := s.File(t.Context(), notELF, []uint64{1}, symbolize.VirtualAddress, symbolize.LookupOptions{}); err == nil {
		t.Error("a non-ELF file gave no error")
	}
}

// TestSymbolizerProcessAfterExit snapshots a running C program, lets it exit, deletes
// its binary, and still names the addresses it printed.
func TestSymbolizerProcessAfterExit(t *testing.T) {
	bin := buildSymwork(t, "-O1", "-fPIE", "-pie")
	cmd := exec.Command(bin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var addrs []uint64
	for _, f := range strings.Fields(line) {
		a, err := strconv.ParseUint(strings.TrimPrefix(f, "0x"), 16, 64)
		if err != nil {
			t.Fatalf("workload printed %q", line)
		}
		addrs = append(addrs, a)
	}
	snap, err := symbolize.SnapshotProcess(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	os.Remove(bin)

	s := symbolize.New(symbolize.Options{})
	defer s.Close()
	frames, err := s.Process(t.Context(), snap, append(addrs, 8), symbolize.LookupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"symbolizer_alpha", "symbolizer_beta"} {
		f := frames[i][len(frames[i])-1]
		if f.Function != want || f.Module.Path != bin {
			t.Errorf("address %#x: %+v, want %s in %s", addrs[i], f, want, bin)
		}
	}
	if f := frames[2][0]; f.Kind != symbolize.KindUnknown {
		t.Errorf("address 8 gave %+v, want unknown", f)
	}
}

//go:noinline
func knownGoFunction(n int) int { return n*n + 1 }

// TestSymbolizerProcessSelf names a Go function of this test process.
func TestSymbolizerProcessSelf(t *testing.T) {
	snap, err := symbolize.SnapshotProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	s := symbolize.New(symbolize.Options{})
	defer s.Close()
	pc := uint64(reflect.ValueOf(knownGoFunction).Pointer())
	frames, err := s.Process(t.Context(), snap, []uint64{pc + 1}, symbolize.LookupOptions{Lines: true})
	if err != nil {
		t.Fatal(err)
	}
	f := frames[0][len(frames[0])-1]
	if f.Function != "github.com/flamekit/flamekit/symbolize_test.knownGoFunction" || f.Kind != symbolize.KindGo || !strings.HasSuffix(f.File, "symbolizer_test.go") {
		t.Errorf("got %+v", f)
	}
}

func TestSymbolizerKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "kernel addresses need root")
	}
	b, err := os.ReadFile("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	var addr uint64
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[2] == "do_syscall_64" {
			addr, _ = strconv.ParseUint(f[0], 16, 64)
		}
	}
	if addr == 0 {
		t.Fatal("no do_syscall_64 in /proc/kallsyms")
	}
	s := symbolize.New(symbolize.Options{})
	frames, err := s.Kernel(t.Context(), []uint64{addr + 0x10}, symbolize.LookupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := frames[0][0]; f.Function != "do_syscall_64" || f.Kind != symbolize.KindKernel || f.Module.Path != symbolize.KernelPath {
		t.Errorf("got %+v", f)
	}
}

// TestSymbolizerConcurrentAndBounded symbolizes several binaries from many goroutines
// with a cache smaller than one table, which must stay correct.
func TestSymbolizerConcurrentAndBounded(t *testing.T) {
	bins := []string{buildSymwork(t, "-O0"), buildSymwork(t, "-O2"), buildSymwork(t, "-O1", "-g")}
	s := symbolize.New(symbolize.Options{CacheBytes: 1})
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 16*len(bins))
	for g := 0; g < 16; g++ {
		for _, bin := range bins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				addr := symbolAddr(t, bin, "symbolizer_beta")
				frames, err := s.File(t.Context(), bin, []uint64{addr}, symbolize.VirtualAddress, symbolize.LookupOptions{Lines: g%2 == 0})
				if err != nil {
					errs <- err
					return
				}
				if f := frames[0][len(frames[0])-1]; f.Function != "symbolizer_beta" {
					errs <- fmt.Errorf("%s: %+v", bin, f)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func ExampleSymbolizer_File() {
	exe, _ := os.Executable()
	s := symbolize.New(symbolize.Options{})
	defer s.Close()
	// Go binaries are linked at fixed addresses, so a function's runtime
	// address is its link-time address.
	pc := uint64(reflect.ValueOf(knownGoFunction).Pointer())
	frames, err := s.File(context.Background(), exe, []uint64{pc}, symbolize.VirtualAddress, symbolize.LookupOptions{})
	if err != nil {
		panic(err)
	}
	f := frames[0][0]
	fmt.Println(f.Function, f.Kind)
	// Output: github.com/flamekit/flamekit/symbolize_test.knownGoFunction go
}

// TestSnapshotsShareFiles snapshots many processes of one binary: they
// share its open files, so descriptors do not grow with the processes
// beyond the /proc directory each live one's snapshot reads through and the
// root directory it holds (for its JIT sources); Exited lets go of those,
// and Close releases everything.
func TestSnapshotsShareFiles(t *testing.T) {
	base := testenv.OpenFDs(t)
	var cmds []*exec.Cmd
	for i := 0; i < 20; i++ {
		cmd := exec.Command("sleep", "30")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		cmds = append(cmds, cmd)
	}
	before := testenv.OpenFDs(t) // counted after the starts: each os.Process may hold a pidfd
	var snaps []*symbolize.Process
	for _, cmd := range cmds {
		snap, err := symbolize.SnapshotProcess(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, snap)
	}
	if held := testenv.OpenFDs(t) - before; held > 2*20+8 {
		t.Errorf("20 snapshots of sleep hold %d descriptors, want their /proc and root directories and a few shared ones", held)
	}
	for _, cmd := range cmds {
		cmd.Process.Kill()
		cmd.Wait()
	}
	exited := testenv.OpenFDs(t)
	for _, s := range snaps {
		s.Exited()
		s.Exited()
	}
	if released := exited - testenv.OpenFDs(t); released != 2*20 {
		t.Errorf("Exited released %d descriptors, want the 20 /proc and root directories", released)
	}
	for _, s := range snaps {
		s.Close()
	}
	if after := testenv.OpenFDs(t); after != base {
		t.Errorf("%d descriptors open after closing the snapshots, %d before", after, base)
	}
	if _, err := symbolize.SnapshotProcess(2); !errors.Is(err, symbolize.ErrNoMappings) {
		t.Errorf("snapshot of kthreadd: %v, want ErrNoMappings", err)
	}
}
