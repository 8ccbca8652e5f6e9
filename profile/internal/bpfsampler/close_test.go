package bpfsampler

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestBPFCloseReleases checks that close (twice) leaves no program, map,
// file descriptor or goroutine of the sampler behind.
func TestBPFCloseReleases(t *testing.T) {
	testenv.RequireRoot(t)
	fds, goroutines := testenv.OpenFDs(t), runtime.NumGoroutine()
	cfg := samplertest.CPUClock(99)
	cfg.Timed = true
	cfg.OnNewProcess = func(uint32) {}
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	s := startTest(t, cfg)
	var progs []ebpf.ProgramID
	var maps []ebpf.MapID // those of the programs, .rodata included
	for _, p := range []*ebpf.Program{s.objs.OnSample, s.objs.OnExec, s.objs.OnExit, s.objs.OnFork} {
		info, err := p.Info()
		if err != nil {
			t.Fatal(err)
		}
		id, _ := info.ID()
		progs = append(progs, id)
		ids, _ := info.MapIDs()
		maps = append(maps, ids...)
	}
	if len(progs) != 4 || len(s.links) != 5 || len(maps) < 10 {
		t.Fatalf("programs %v, %d links, maps %v", progs, len(s.links), maps)
	}
	time.Sleep(200 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	// The kernel frees programs and maps shortly after their last
	// reference goes (links are released from a work queue).
	left := func() (n int) {
		for _, id := range progs {
			if p, err := ebpf.NewProgramFromID(id); err == nil {
				p.Close()
				n++
			}
		}
		for _, id := range maps {
			if m, err := ebpf.NewMapFromID(id); err == nil {
				m.Close()
				n++
			}
		}
		return n
	}
	for i := 0; left() > 0; i++ {
		if i == 100 {
			t.Fatalf("%d of programs %v and maps %v remain after close", left(), progs, maps)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := testenv.OpenFDs(t); n != fds {
		t.Errorf("%d open fds after close, %d before start", n, fds)
	}
	for i := 0; runtime.NumGoroutine() > goroutines; i++ {
		if i == 100 {
			t.Fatalf("%d goroutines after close, %d before start", runtime.NumGoroutine(), goroutines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
