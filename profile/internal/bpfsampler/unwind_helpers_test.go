package bpfsampler

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
	"github.com/flamekit/flamekit/symbolize"
)

// startTestdata builds testdata/NAME.c with gcc and the flags, starts it
// and waits for it to print "ready"; it is killed when the test ends.
func startTestdata(t testing.TB, name string, flags ...string) int {
	t.Helper()
	bin := testenv.BuildC(t, "gcc", name, []string{filepath.Join("testdata", name+".c")}, flags...)
	c := testenv.StartChild(t, exec.Command(bin))
	c.WaitLine(t, "ready")
	return c.Process.Pid
}

// snapshot takes a symbolize snapshot of process pid, closed when the
// test ends.
func snapshot(t testing.TB, pid int) *symbolize.Process {
	t.Helper()
	p, err := symbolize.SnapshotProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// unwindObjects are the executable mappings of a snapshot, as the registry
// takes them.
func unwindObjects(p *symbolize.Process) []unwind.Object {
	var objs []unwind.Object
	for _, o := range p.MappedObjects() {
		objs = append(objs, unwind.Object{Start: o.Start, End: o.End, Offset: o.Offset, Path: o.Path, Key: o.Key, File: o.File})
	}
	return objs
}

// newRegistry returns a registry that releases tables at once, closed
// when the test ends (after the sampler started later: cleanups run last
// first).
func newRegistry(t testing.TB) *unwind.Registry {
	t.Helper()
	reg := unwind.NewRegistry(unwind.Options{Linger: 0})
	t.Cleanup(reg.Close)
	return reg
}

// stackSample is a symbolized user stack, leaf first, and its count.
type stackSample struct {
	frames []string // function names; "" where unknown
	leaf   string   // the leaf's module path
	count  uint64
}

// sampleProgram samples process pid at 2999 Hz for about a second of its
// CPU time (3000 samples: a share of them is known within a point),
// walking user stacks by CFI when cfi (its mappings added to a registry
// once sampling runs; the samples before are dropped), by frame pointers
// when not, and returns its user stacks symbolized, with the failures
// counted meanwhile.
func sampleProgram(t *testing.T, pid int, cfi bool) ([]stackSample, map[string]uint64) {
	t.Helper()
	snap := snapshot(t, pid)
	cfg := samplertest.CPUClock(2999)
	cfg.PIDs = []uint32{uint32(pid)}
	cfg.UserOnly = true
	if cfi {
		cfg.Unwind = newRegistry(t)
	}
	s := startTest(t, cfg)
	defer s.Close()
	if cfi {
		if _, err := cfg.Unwind.AddProcess(uint32(pid), unwindObjects(snap)); err != nil {
			t.Fatal(err)
		}
		samplertest.DrainAll(t, s) // the samples of an unknown process
	}
	var samples []sampler.Sample
	failures := map[string]uint64{}
	var n uint64
	for deadline := time.Now().Add(20 * time.Second); n < 3000 && time.Now().Before(deadline); {
		time.Sleep(250 * time.Millisecond)
		more, st := samplertest.DrainAll(t, s)
		for _, rs := range more {
			if rs.PID == uint32(pid) && len(rs.User) > 0 {
				samples = append(samples, rs)
				n += rs.Count
			}
		}
		for k, v := range st.Failures {
			failures[k] += v
		}
	}
	if n < 200 {
		t.Fatalf("%d samples of process %d", n, pid)
	}
	return symbolizeStacks(t, snap, samples), failures
}

// symbolizeStacks names the frames of the samples' user stacks.
func symbolizeStacks(t *testing.T, snap *symbolize.Process, samples []sampler.Sample) []stackSample {
	t.Helper()
	sym := symbolize.New(symbolize.Options{DebuginfodURLs: []string{}})
	defer sym.Close()
	out := make([]stackSample, 0, len(samples))
	for _, rs := range samples {
		frames, err := sym.Process(context.Background(), snap, rs.User, symbolize.LookupOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st := stackSample{count: rs.Count}
		for _, fs := range frames {
			f := fs[len(fs)-1] // the function the address is in, not one inlined there
			st.frames = append(st.frames, f.Function)
		}
		st.leaf = frames[0][0].Module.Path
		out = append(out, st)
	}
	return out
}

// String is the stack, leaf first.
func (s stackSample) String() string { return strings.Join(s.frames, ";") }

// has reports whether the stack has fn above its leaf.
func (s stackSample) has(fn string) bool {
	for _, f := range s.frames[1:] {
		if f == fn {
			return true
		}
	}
	return false
}
