package scope

import (
	"bytes"
	"errors"
	"math"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

var pprofSink uint64

// pprofBusy spins for d of this process's CPU time (not wall time: a busy
// machine may leave it little CPU for a while).
//
//go:noinline
func pprofBusy(t *testing.T, d time.Duration) {
	start := cpuTime(t)
	for cpuTime(t)-start < d {
		for i := uint64(0); i < 100000; i++ {
			pprofSink += i * i
		}
	}
}

// cpuTime returns the CPU time this process has used.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// goCPUProfile profiles this process spinning in pprofBusy and returns the
// parsed profile.
func goCPUProfile(t *testing.T) *profile.Profile {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Fatal(err)
	}
	pprofBusy(t, 300*time.Millisecond)
	pprof.StopCPUProfile()
	p, err := profile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sample) == 0 {
		t.Fatal("the CPU profile has no samples")
	}
	return p
}

// A Go CPU profile has no per-sample times: with a "timestamp" label on
// each sample (10 ms apart, in the label's unit) it becomes timed, its
// stacks named as collapse.Pprof names them.
func TestPprofTimestampLabels(t *testing.T) {
	p := goCPUProfile(t)
	if _, err := ReadPprof(bytes.NewReader(encode(t, p))); !errors.Is(err, ErrNoTimestamp) || !strings.Contains(err.Error(), "sample 0") {
		t.Fatalf("without labels: got %v, want ErrNoTimestamp for sample 0", err)
	}
	const base = 1_700_000_000 // seconds
	for _, tc := range []struct {
		unit  string
		scale float64 // label units a second
	}{{"", 1e9}, {"nanoseconds", 1e9}, {"milliseconds", 1e3}} {
		for i, s := range p.Sample {
			s.NumLabel = map[string][]int64{"timestamp": {int64((base + float64(i)/100) * tc.scale)}}
			s.NumUnit = nil
			if tc.unit != "" {
				s.NumUnit = map[string][]string{"timestamp": {tc.unit}}
			}
		}
		got, format, err := Read(bytes.NewReader(encode(t, p)), ReadOptions{})
		if err != nil || format != FormatPprof {
			t.Fatalf("unit %q: %v, format %q", tc.unit, err, format)
		}
		if got.Len() != len(p.Sample) || math.Floor(got.Start()) != base {
			t.Errorf("unit %q: %d samples from %v s, want %d from %d", tc.unit, got.Len(), got.Start(), len(p.Sample), base)
		}
		busy := false
		for _, s := range got.Stacks() {
			busy = busy || strings.Contains(s.Frames, "scope.pprofBusy")
		}
		if !busy {
			t.Errorf("unit %q: no stack has scope.pprofBusy: %v", tc.unit, got.Stacks())
		}
	}
}

// encode writes p as a gzipped protobuf.
func encode(t *testing.T, p *profile.Profile) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
