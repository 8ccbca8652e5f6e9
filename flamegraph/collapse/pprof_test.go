package collapse

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse/internal/stream"
	"github.com/flamekit/flamekit/internal/testenv"
)

// hotLoopForPprofTest burns CPU under a name no other frame has.
//
//go:noinline
func hotLoopForPprofTest(d time.Duration) uint64 {
	// Spin for d of this thread's CPU time, not of wall time: on a loaded
	// machine the profiler's samples follow the CPU time.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var x uint64 = 1
	for end := threadCPUTime() + d; threadCPUTime() < end; {
		for i := 0; i < 100000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

// pprofSink keeps hotLoopForPprofTest's result, so its loop is not dead code.
var pprofSink uint64

// threadCPUTime returns the CPU time the calling thread has used.
func threadCPUTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestPprofRealCPUProfile profiles this test with runtime/pprof and folds
// the profile it writes.
func TestPprofRealCPUProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skipf("cannot start CPU profiling (is -cpuprofile set?): %v", err)
	}
	pprofSink = hotLoopForPprofTest(300 * time.Millisecond)
	pprof.StopCPUProfile()
	gz := buf.Bytes()
	if !stream.IsGzip(gz) {
		t.Fatalf("runtime/pprof wrote no gzip: % x", gz[:min(len(gz), 8)])
	}

	cpu, _, err := Pprof(bytes.NewReader(gz), PprofOptions{})
	if err != nil {
		t.Fatal(err)
	}
	samples, _, err := Pprof(bytes.NewReader(gz), PprofOptions{SampleType: "samples"})
	if err != nil {
		t.Fatal(err)
	}
	// The same profile uncompressed gives the same stacks.
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if stream.IsGzip(plain) || len(plain) <= len(gz) {
		t.Fatalf("decompression went wrong: %d bytes from %d", len(plain), len(gz))
	}
	cpuPlain, _, err := Pprof(bytes.NewReader(plain), PprofOptions{SampleIndex: 2})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := foldedText(t, cpu), foldedText(t, cpuPlain); a != b {
		t.Errorf("gzipped (default type) and plain (SampleIndex 2) differ:\n%s\n---\n%s", a, b)
	}

	// The hot loop is there, called from this test, which testing.tRunner
	// runs; the default sample type is cpu nanoseconds, "samples" counts
	// 100 Hz ticks, and the two agree stack by stack.
	const leaf = "collapse.hotLoopForPprofTest"
	const caller = "collapse.TestPprofRealCPUProfile"
	var hotNS, hotSamples float64
	for _, s := range cpu.Folded().Stacks {
		if !strings.Contains(s.Frames, leaf) {
			continue
		}
		hotNS += s.Count
		frames := strings.Split(s.Frames, ";")
		iLeaf, iCaller, iRunner := -1, -1, -1
		for i, f := range frames {
			switch {
			case strings.HasSuffix(f, leaf):
				iLeaf = i
			case strings.HasSuffix(f, caller):
				iCaller = i
			case f == "testing.tRunner":
				iRunner = i
			}
		}
		if !(iRunner >= 0 && iRunner < iCaller && iCaller < iLeaf) {
			t.Errorf("want testing.tRunner;...;%s;...;%s root first, got %q", caller, leaf, s.Frames)
		}
	}
	for _, s := range samples.Stacks {
		if strings.Contains(s.Frames, leaf) {
			hotSamples += s.Count
		}
	}
	if hotSamples < 10 {
		t.Fatalf("only %v samples in %s over 300 ms of CPU time:\n%s", hotSamples, leaf, foldedText(t, samples))
	}
	if hotNS != hotSamples*1e7 {
		t.Errorf("cpu %v ns in %s, want samples × 10 ms = %v", hotNS, leaf, hotSamples*1e7)
	}
	if hotNS < 0.1e9 || hotNS > 0.6e9 {
		t.Errorf("%s took %v ns of CPU in a loop of 300 ms of CPU time", leaf, hotNS)
	}
}

// TestPprofInlined profiles testdata/pprof/inlineprog, a program whose hot
// loop calls a function the compiler inlines.
func TestPprofInlined(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "inlineprog")
	build := exec.Command(testenv.RequireTool(t, "go", "install Go"), "build", "-o", bin, ".")
	build.Dir = "testdata/pprof/inlineprog"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cpuFile, heapFile := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")
	if out, err := exec.Command(bin, cpuFile, heapFile).CombinedOutput(); err != nil {
		t.Fatalf("inlineprog: %v\n%s", err, out)
	}
	checkInlined(t, cpuFile)
}

// TestPprofInlinedStored folds the profile inlineprog wrote when this test
// was written, so that its exact output is pinned.
func TestPprofInlinedStored(t *testing.T) {
	p := checkInlined(t, "testdata/pprof/inlineprog-cpu.pb.gz")
	want := "runtime.main;main.main;main.spinOuter 40000000\n" +
		"runtime.main;main.main;main.spinOuter;main.mixInlined_[i] 360000000\n"
	if got := foldedText(t, p); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// checkInlined folds a CPU profile of inlineprog and checks that the
// inlined function is a frame of its own above its caller.
func checkInlined(t *testing.T, path string) *flamegraph.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, _, err := Pprof(f, PprofOptions{SampleType: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	var inlined, total float64
	for _, s := range p.Stacks {
		total += s.Count
		if strings.HasSuffix(s.Frames, ";main.main;main.spinOuter;main.mixInlined_[i]") {
			inlined += s.Count
		}
	}
	if inlined == 0 || inlined < total/4 {
		t.Errorf("inlined frame main.mixInlined_[i] has %v of %v ns:\n%s", inlined, total, foldedText(t, p))
	}
	return p
}

// TestPprofSampleTypes selects the types of a real allocation profile, whose
// default type (alloc_space) is not its last (inuse_space).
func TestPprofSampleTypes(t *testing.T) {
	data, err := os.ReadFile("testdata/pprof/inlineprog-allocs.pb.gz")
	if err != nil {
		t.Fatal(err)
	}
	total := func(opts PprofOptions) float64 {
		t.Helper()
		p, _, err := Pprof(bytes.NewReader(data), opts)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		if !strings.Contains(foldedText(t, p), "runtime.main;main.main;main.allocSome ") {
			t.Errorf("%+v: no main.allocSome stack", opts)
		}
		return p.Total()
	}
	// The values go tool pprof -raw prints for this file.
	if got := total(PprofOptions{}); got != 3711986 {
		t.Errorf("default type (alloc_space): total %v, want 3711986", got)
	}
	if got := total(PprofOptions{SampleType: "alloc_objects"}); got != 8868 {
		t.Errorf("alloc_objects: total %v, want 8868", got)
	}
	if got := total(PprofOptions{SampleIndex: 1}); got != 8868 {
		t.Errorf("SampleIndex 1: total %v, want 8868", got)
	}
	if got := total(PprofOptions{SampleType: "inuse_space", SampleIndex: 4}); got != 3711986 {
		t.Errorf("inuse_space: total %v, want 3711986", got)
	}

	for _, opts := range []PprofOptions{
		{SampleType: "cpu"},
		{SampleIndex: 5},
		{SampleIndex: -1},
		{SampleType: "alloc_space", SampleIndex: 1},
	} {
		_, _, err := Pprof(bytes.NewReader(data), opts)
		if !errors.Is(err, ErrSampleType) {
			t.Errorf("%+v: want ErrSampleType, got %v", opts, err)
			continue
		}
		for _, name := range []string{"1 alloc_objects/count", "2 alloc_space/bytes", "4 inuse_space/bytes"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%+v: error %q does not list %q", opts, err, name)
			}
		}
	}
}

// syntheticProfile builds a profile with the cases real Go profiles lack:
// locations without symbols, functions without names, names with ';' and
// newlines, empty stacks and zero values.
func syntheticProfile() *profile.Profile {
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x500000, Offset: 0x1000, File: "/usr/lib/libfoo.so.1"}
	k := &profile.Mapping{ID: 2, Start: 0xffffffff81000000, Limit: 0xffffffff82000000, File: "[kernel.kallsyms]"}
	fMain := &profile.Function{ID: 1, Name: "main"}
	fOdd := &profile.Function{ID: 2, Name: "tmpl<a;b>\nx"}
	fSys := &profile.Function{ID: 3, SystemName: "_Z3sysv"}
	locMain := &profile.Location{ID: 1, Mapping: m, Address: 0x401000, Line: []profile.Line{{Function: fMain, Line: 3}}}
	locOdd := &profile.Location{ID: 2, Mapping: m, Address: 0x402000, Line: []profile.Line{{Function: fSys}, {Function: fOdd}}}
	locRaw := &profile.Location{ID: 3, Mapping: m, Address: 0x403abc}
	locKern := &profile.Location{ID: 4, Mapping: k, Address: 0xffffffff81000010}
	locNone := &profile.Location{ID: 5, Address: 0x10}
	fAnon := &profile.Function{ID: 4}
	locAnon := &profile.Location{ID: 6, Mapping: m, Address: 0x404000, Line: []profile.Line{{Function: fAnon, Line: 7}}}
	return &profile.Profile{
		SampleType:        []*profile.ValueType{{Type: "events", Unit: "count"}, {Type: "weight", Unit: "units"}},
		DefaultSampleType: "events",
		Mapping:           []*profile.Mapping{m, k},
		Function:          []*profile.Function{fMain, fOdd, fSys, fAnon},
		Location:          []*profile.Location{locMain, locOdd, locRaw, locKern, locNone, locAnon},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{locOdd, locMain}, Value: []int64{5, 1}},
			{Location: []*profile.Location{locRaw, locMain}, Value: []int64{2, 0}},
			{Location: []*profile.Location{locKern, locNone, locAnon}, Value: []int64{1, 1}},
			{Value: []int64{4, 4}},
			{Location: []*profile.Location{locMain}, Value: []int64{0, -3}},
		},
	}
}

func TestPprofSynthetic(t *testing.T) {
	var gz, plain bytes.Buffer
	pp := syntheticProfile()
	if err := pp.Write(&gz); err != nil {
		t.Fatal(err)
	}
	if err := pp.WriteUncompressed(&plain); err != nil {
		t.Fatal(err)
	}
	want := "[unknown] 4\n" +
		"[unknown];[unknown];[kernel.kallsyms+0x10] 1\n" +
		"main;[libfoo.so.1+0x4abc] 2\n" +
		"main;tmpl<a:b> x;_Z3sysv_[i] 5\n"
	for name, data := range map[string][]byte{"gzip": gz.Bytes(), "plain": plain.Bytes()} {
		p, _, err := Pprof(bytes.NewReader(data), PprofOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := foldedText(t, p); got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
		}
	}
	p, _, err := Pprof(bytes.NewReader(gz.Bytes()), PprofOptions{SampleType: "weight"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := foldedText(t, p), "[unknown] 4\n[unknown];[unknown];[kernel.kallsyms+0x10] 1\nmain;tmpl<a:b> x;_Z3sysv_[i] 1\n"; got != want {
		t.Errorf("weight: got\n%s\nwant\n%s", got, want)
	}
}

func TestPprofBadInput(t *testing.T) {
	for _, in := range []string{"", "not a profile", "\x1f\x8b\x08\x00garbage", "\x0a\x05\x08\x01"} {
		if _, _, err := Pprof(strings.NewReader(in), PprofOptions{}); err == nil || !strings.Contains(err.Error(), "pprof") {
			t.Errorf("Pprof(%q): want an error, got %v", in, err)
		}
	}
}

func FuzzPprof(f *testing.F) {
	files, _ := filepath.Glob("testdata/pprof/*.pb.gz")
	for _, in := range files {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, 0)
		f.Add(readMaybeGzip(f, in), 1)
	}
	var buf bytes.Buffer
	if err := syntheticProfile().WriteUncompressed(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes(), 2)
	f.Fuzz(func(t *testing.T, data []byte, index int) {
		p, _, err := Pprof(bytes.NewReader(data), PprofOptions{SampleIndex: index})
		if err != nil {
			return
		}
		for _, s := range p.Stacks {
			if s.Frames == "" || strings.ContainsAny(s.Frames, "\r\n") || s.Count <= 0 {
				t.Fatalf("bad stack %q %v", s.Frames, s.Count)
			}
		}
	})
}
