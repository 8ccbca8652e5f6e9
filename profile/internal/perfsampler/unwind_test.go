package perfsampler

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
	"github.com/flamekit/flamekit/symbolize"
)

// startUnwindWork builds testdata/unwind_work.c -O2 -fomit-frame-pointer,
// starts it in mode and returns its path and pid once it runs.
func startUnwindWork(t *testing.T, mode string) (string, uint32) {
	t.Helper()
	bin := testenv.BuildC(t, "gcc", "unwind_work", []string{"testdata/unwind_work.c"}, "-O2", "-fomit-frame-pointer")
	c := testenv.StartChild(t, exec.Command(bin, mode))
	c.WaitLine(t, "ready")
	return bin, uint32(c.Process.Pid)
}

// registryOf returns a registry holding the mappings of processes pids.
func registryOf(t testing.TB, pids ...uint32) *unwind.Registry {
	t.Helper()
	r := unwind.NewRegistry(unwind.Options{})
	t.Cleanup(r.Close)
	for _, pid := range pids {
		addProcess(t, r, pid)
	}
	return r
}

// addProcess gives r the mappings of process pid, read as a session reads
// them: from a snapshot.
func addProcess(t testing.TB, r *unwind.Registry, pid uint32) {
	t.Helper()
	snap, err := symbolize.SnapshotProcess(int(pid))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { snap.Close() })
	var objs []unwind.Object
	for _, o := range snap.MappedObjects() {
		objs = append(objs, unwind.Object{Start: o.Start, End: o.End, Offset: o.Offset, Path: o.Path, Key: o.Key, File: o.File})
	}
	if _, err := r.AddProcess(pid, objs); err != nil {
		t.Fatal(err)
	}
}

// profiled is what a sampler saw of one process: its samples and the
// sums of the drains' stats.
type profiled struct {
	samples []sampler.Sample
	stats   sampler.Stats
	total   uint64
}

// profileBoth samples process pid at 999 Hz with two samplers at once, one
// walking user stacks through reg's tables and one with frame pointers
// only, until the first has n samples of it (or a minute has passed).
func profileBoth(t *testing.T, pid uint32, reg *unwind.Registry, n uint64) (cfi, fp profiled) {
	t.Helper()
	cfg := samplertest.CPUClock(999)
	cfg.PIDs = []uint32{pid}
	var ss [2]sampler.Sampler
	for i, u := range []*unwind.Registry{reg, nil} {
		cfg.Unwind = u
		s, err := Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ss[i] = s
	}
	ps := [2]*profiled{&cfi, &fp}
	for deadline := time.Now().Add(time.Minute); cfi.total < n && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		for i, s := range ss {
			ps[i].drain(t, s, pid)
		}
	}
	t.Logf("cfi: %d samples, lost %d, failures %v", cfi.total, cfi.stats.Lost, cfi.stats.Failures)
	t.Logf("fp: %d samples, lost %d, failures %v", fp.total, fp.stats.Lost, fp.stats.Failures)
	return cfi, fp
}

// drain adds what s has of process pid.
func (p *profiled) drain(t *testing.T, s sampler.Sampler, pid uint32) {
	more, st := samplertest.DrainAll(t, s)
	p.add(more, st, pid)
}

// add adds what samples and st have of process pid.
func (p *profiled) add(more []sampler.Sample, st sampler.Stats, pid uint32) {
	for _, rs := range more {
		if rs.PID == pid {
			p.samples = append(p.samples, rs)
			p.total += rs.Count
		}
	}
	p.stats.Lost += st.Lost
	if p.stats.Failures == nil {
		p.stats.Failures = map[string]uint64{}
	}
	for k, v := range st.Failures {
		p.stats.Failures[k] += v
	}
}

// share counts the samples whose user stack in accepts and, of those, the
// ones ok accepts too; names are the stack's frames by the resolver ("" for
// frames outside the program).
func (p profiled) share(res *samplertest.Resolver, in, ok func(names []string) bool) (n, good uint64) {
	for _, rs := range p.samples {
		names := make([]string, len(rs.User))
		for i, pc := range rs.User {
			if i > 0 {
				pc-- // a return address: inside the call
			}
			names[i] = res.Name(pc)
		}
		if in(names) {
			n += rs.Count
			if ok(names) {
				good += rs.Count
			}
		}
	}
	return n, good
}

// above reports whether names has caller somewhere above its frame i.
func above(names []string, i int, caller string) bool {
	return i >= 0 && slices.Contains(names[i+1:], caller)
}

// TestPerfRingUnwindSplit profiles -O2 -fomit-frame-pointer code, main
// calling work70 and work30 (70% and 30% of the CPU time): walked by call
// frame information, nearly every sample has main above the function it is
// in, and the split is right; walked by frame pointers, main is lost.
func TestPerfRingUnwindSplit(t *testing.T) {
	testenv.RequireSelfProfiling(t) // its own children: no root needed
	bin, pid := startUnwindWork(t, "split")
	res := samplertest.NewResolver(t, int(pid), bin)
	cfi, fp := profileBoth(t, pid, registryOf(t, pid), 4000)
	n, withMain := workUnderMain(cfi, res)
	_, in70 := cfi.share(res, inSplitWork, under("work70"))
	_, in30 := cfi.share(res, inSplitWork, under("work30"))
	fpN, fpMain := workUnderMain(fp, res)
	share := 100 * float64(in70) / float64(in70+in30)
	t.Logf("cfi: %d samples in spin, work70 or work30, %d under main, work70 %.1f%%; fp: %d samples, %d under main", n, withMain, share, fpN, fpMain)
	if n < 2000 || withMain < n*95/100 || share < 67 || share > 73 {
		t.Errorf("cfi: %d samples in spin, work70 or work30, %d with main above work70 or work30, work70 %.1f%%: want ≥2000, ≥95%%, 70%% ± 3",
			n, withMain, share)
	}
	if fpN < 2000 || fpMain > fpN/10 {
		t.Errorf("fp: %d samples in spin, work70 or work30, %d with main above them: want the defect (≤10%%), or the test proves nothing", fpN, fpMain)
	}
	if cfi.stats.Failures[sampler.FailureUnwindUnknownProcess] != 0 {
		t.Errorf("failures %v: the process was known", cfi.stats.Failures)
	}
}

// TestPerfRingUnwindQsort profiles a comparator libc's qsort calls: walked
// by call frame information, its samples carry the caller of qsort and
// main, through libc's frames.
func TestPerfRingUnwindQsort(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin, pid := startUnwindWork(t, "qsort")
	res := samplertest.NewResolver(t, int(pid), bin)
	cfi, fp := profileBoth(t, pid, registryOf(t, pid), 2000)
	inCompare := func(names []string) bool { return len(names) > 0 && names[0] == "by_value" }
	callers := func(names []string) bool {
		i := slices.Index(names, "sort_rounds")
		return i > 1 && names[i-1] == "" && above(names, i, "main") // qsort's frames in libc between
	}
	n, ok := cfi.share(res, inCompare, callers)
	fpN, fpOK := fp.share(res, inCompare, callers)
	t.Logf("comparator samples: cfi %d of %d under qsort, sort_rounds and main; fp %d of %d", ok, n, fpOK, fpN)
	if n < 200 || ok < n*95/100 {
		t.Errorf("cfi: %d of %d comparator samples under qsort, sort_rounds and main: want ≥200, ≥95%%", ok, n)
	}
	if fpN < 200 || fpOK > fpN/2 {
		t.Errorf("fp: %d of %d comparator samples under their callers: want the defect (≤50%%), or the test proves nothing", fpOK, fpN)
	}
}

// TestPerfRingUnwindLibcLeaf profiles functions with frame pointers
// spending their time in libc functions without: read (in the kernel) and
// memcpy. Walked by call frame information, the function stands above the
// leaf; walked by frame pointers, it is skipped.
func TestPerfRingUnwindLibcLeaf(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	for mode, caller := range map[string]string{"read": "read_loop", "copy": "copy_loop"} {
		t.Run(mode, func(t *testing.T) {
			bin, pid := startUnwindWork(t, mode)
			res := samplertest.NewResolver(t, int(pid), bin)
			cfi, fp := profileBoth(t, pid, registryOf(t, pid), 1000)
			inLibc := func(names []string) bool { return len(names) > 1 && names[0] == "" }
			callerAbove := func(names []string) bool { return names[1] == caller && above(names, 1, "main") }
			n, ok := cfi.share(res, inLibc, callerAbove)
			fpN, fpOK := fp.share(res, inLibc, callerAbove)
			t.Logf("samples in libc: cfi %d of %d with %s above; fp %d of %d", ok, n, caller, fpOK, fpN)
			if n < 500 || ok < n*95/100 {
				t.Errorf("cfi: %d of %d samples in libc with %s above: want ≥500, ≥95%%", ok, n, caller)
			}
			if fpN < 500 || fpOK > fpN/20 {
				t.Errorf("fp: %d of %d samples in libc with %s above: want the defect (≤5%%), or the test proves nothing", fpOK, fpN, caller)
			}
		})
	}
}

// inSplitWork reports whether a stack of unwind_work's split is in its hot
// code: spin, work70 or work30.
func inSplitWork(names []string) bool {
	return len(names) > 0 && (names[0] == "spin" || names[0] == "work70" || names[0] == "work30")
}

// splitWork returns the index of work70 or work30 in a stack, or -1.
func splitWork(names []string) int {
	return slices.IndexFunc(names, func(n string) bool { return n == "work70" || n == "work30" })
}

// under reports whether a stack of the split has work under main.
func under(work string) func(names []string) bool {
	return func(names []string) bool {
		i := splitWork(names)
		return i >= 0 && names[i] == work && above(names, i, "main")
	}
}

// workUnderMain counts the samples of a profile of unwind_work's split in
// its hot code and, of them, those with main above work70 or work30.
func workUnderMain(p profiled, res *samplertest.Resolver) (n, underMain uint64) {
	return p.share(res, inSplitWork, func(names []string) bool { return above(names, splitWork(names), "main") })
}

// TestPerfRingUnwindLateRegistry profiles a process the registry learns
// of a while after its first samples, as a session's does: the samples
// before wait for its mappings and are walked then, whole.
func TestPerfRingUnwindLateRegistry(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin, pid := startUnwindWork(t, "split")
	res := samplertest.NewResolver(t, int(pid), bin)
	reg := registryOf(t)
	cfg := samplertest.CPUClock(999)
	cfg.PIDs = []uint32{pid}
	cfg.Unwind = reg
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	time.Sleep(300 * time.Millisecond)
	addProcess(t, reg, pid)
	time.Sleep(300 * time.Millisecond)
	var p profiled
	p.drain(t, s, pid)
	n, underMain := workUnderMain(p, res)
	t.Logf("%d samples in spin, work70 or work30, %d under main; failures %v", n, underMain, p.stats.Failures)
	if n < 200 || underMain < n*95/100 || p.stats.Failures[sampler.FailureUnwindUnknownProcess] > n/20 {
		t.Errorf("%d samples in spin, work70 or work30, %d under main, failures %v: want ≥200, ≥95%%, few of an unknown process",
			n, underMain, p.stats.Failures)
	}
}

// TestPerfRingUnwindExec profiles a shell that calls exec: the registry's
// mappings of the shell are not used for the program it became, whose
// samples wait for the registry to have its own.
func TestPerfRingUnwindExec(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	bin := testenv.BuildC(t, "gcc", "unwind_work", []string{"testdata/unwind_work.c"}, "-O2", "-fomit-frame-pointer")
	sh := testenv.RequireTool(t, "sh", "dash")
	c := testenv.StartChild(t, exec.Command(sh, "-c", "read line; exec "+bin+" split"))
	pid := uint32(c.Process.Pid)
	time.Sleep(50 * time.Millisecond) // past the shell's exec
	reg := registryOf(t, pid)         // the shell's mappings
	cfg := samplertest.CPUClock(999)
	cfg.PIDs = []uint32{pid}
	cfg.Unwind = reg
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := c.In.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	c.WaitLine(t, "ready")
	time.Sleep(300 * time.Millisecond)
	addProcess(t, reg, pid) // the program's mappings
	time.Sleep(300 * time.Millisecond)
	var p profiled
	p.drain(t, s, pid)
	n, underMain := workUnderMain(p, samplertest.NewResolver(t, int(pid), bin))
	t.Logf("%d samples in spin, work70 or work30, %d under main; failures %v", n, underMain, p.stats.Failures)
	if n < 200 || underMain < n*95/100 {
		t.Errorf("%d samples in spin, work70 or work30, %d under main, failures %v: want ≥200, ≥95%%", n, underMain, p.stats.Failures)
	}
}

// TestPerfRingUnwindUnknownProcess profiles a process the registry does
// not know: its stacks are the kernel's frame-pointer chains, every sample
// counted as such.
func TestPerfRingUnwindUnknownProcess(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	_, pid := startUnwindWork(t, "split")
	cfi, _ := profileBoth(t, pid, registryOf(t), 300)
	withUser := uint64(0)
	for _, rs := range cfi.samples {
		if len(rs.User) > 0 {
			withUser += rs.Count
		}
	}
	if cfi.total < 300 || withUser != cfi.total || cfi.stats.Failures[sampler.FailureUnwindUnknownProcess] != cfi.total {
		t.Errorf("%d samples, %d with user stacks, failures %v: want every one with the kernel's stack, counted as %s",
			cfi.total, withUser, cfi.stats.Failures, sampler.FailureUnwindUnknownProcess)
	}
}

// TestPerfRingUnwindLost holds the reader back while the rings, full of
// stack copies, overflow: the samples lost are counted. It holds it until
// the program has run 400 ms (400 samples, where the two rings hold 124),
// not for a fixed time: on a loaded machine the program ran less than
// 124 ms in 400.
func TestPerfRingUnwindLost(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	_, pid := startUnwindWork(t, "split")
	cfg := samplertest.CPUClock(999)
	cfg.PIDs = []uint32{pid}
	cfg.Unwind = registryOf(t, pid)
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	func() {
		s.mu.Lock() // the reader cannot empty the rings: 1 MiB holds 62 samples
		defer s.mu.Unlock()
		samplertest.WaitCPUTime(t, pid, 400*time.Millisecond)
	}()
	time.Sleep(200 * time.Millisecond) // the kernel writes its LOST record once there is room
	var p profiled
	p.drain(t, s, pid)
	t.Logf("%d samples kept, %d lost, failures %v, rings of %d pages", p.total, p.stats.Lost, p.stats.Failures, s.pages)
	if p.stats.Lost == 0 || p.stats.Failures[sampler.FailureRingFull] != p.stats.Lost || p.total == 0 {
		t.Errorf("kept %d, lost %d, ring-full %d: want samples kept, and some lost, counted", p.total, p.stats.Lost, p.stats.Failures[sampler.FailureRingFull])
	}
}

// Environment of TestPerfRingUnwindNobodyChild: the variable that makes it
// run, and the one naming the program it profiles.
const (
	unwindNobodyEnv = "FLAMEKIT_PERFRING_UNWIND_NOBODY"
	unwindWorkEnv   = "FLAMEKIT_PERFRING_UNWIND_WORK"
)

var unwindNobodyResult = regexp.MustCompile(`UNWIND uid=(\d+) self=(\d+)/(\d+) child=(\d+)/(\d+) rings=(\d+)`)

// TestPerfRingUnwindUnprivileged runs TestPerfRingUnwindNobodyChild as
// nobody: unprivileged, it walks the stacks of its own threads and of an
// -O2 -fomit-frame-pointer child from their stack copies.
func TestPerfRingUnwindUnprivileged(t *testing.T) {
	testenv.RequireRoot(t) // to become nobody
	if p, err := perfevent.Paranoid(); err != nil || p > 2 {
		testenv.SkipOrFail(t, "kernel.perf_event_paranoid is %d (%v): unprivileged self-profiling needs ≤2", p, err)
	}
	built := testenv.BuildC(t, "gcc", "unwind_work", []string{"testdata/unwind_work.c"}, "-O2", "-fomit-frame-pointer")
	dir, err := os.MkdirTemp("", "flamekit-unwind-") // t.TempDir is private to root
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "unwind_work")
	b, err := os.ReadFile(built)
	if err == nil {
		err = errors.Join(os.Chmod(dir, 0o755), os.WriteFile(bin, b, 0o755))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(unwindWorkEnv, bin)
	out := samplertest.RunAsNobody(t, "TestPerfRingUnwindNobodyChild", unwindNobodyEnv)
	m := unwindNobodyResult.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no result line from the child:\n%s", out)
	}
	t.Logf("child: %s", m[0])
	if nobody, err := user.Lookup("nobody"); err != nil || string(m[1]) != nobody.Uid {
		t.Errorf("child ran as uid %s, want nobody's (%v)", m[1], err)
	}
}

// TestPerfRingUnwindNobodyChild is the child of
// TestPerfRingUnwindUnprivileged.
func TestPerfRingUnwindNobodyChild(t *testing.T) {
	if os.Getenv(unwindNobodyEnv) == "" {
		t.Skip("helper process for TestPerfRingUnwindUnprivileged")
	}
	self := uint32(os.Getpid())
	c := testenv.StartChild(t, exec.Command(os.Getenv(unwindWorkEnv), "split"))
	c.WaitLine(t, "ready")
	child := uint32(c.Process.Pid)
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{self, child}
	cfg.Unwind = registryOf(t, self, child)
	s, err := Start(cfg) // kernel stacks asked for: falls back to user only
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { selfSpinCaller(time.Second) })
	}
	wg.Wait()
	var p, q profiled
	samples, st := samplertest.DrainAll(t, s)
	p.add(samples, st, self)
	q.add(samples, sampler.Stats{}, child)
	var spin, spinCalled uint64
	for _, rs := range p.samples {
		i := slices.IndexFunc(rs.User, func(pc uint64) bool { return goFunc(pc, ".selfSpin") })
		if i < 0 {
			continue
		}
		spin += rs.Count
		if i+1 < len(rs.User) && slices.ContainsFunc(rs.User[i+1:], func(pc uint64) bool { return goFunc(pc-1, ".selfSpinCaller") }) {
			spinCalled += rs.Count
		}
	}
	n, underMain := workUnderMain(q, samplertest.NewResolver(t, int(child), os.Getenv(unwindWorkEnv)))
	fmt.Printf("UNWIND uid=%d self=%d/%d child=%d/%d rings=%d stats=%+v\n", os.Getuid(), spinCalled, spin, underMain, n, s.pages, st)
	if spin < 200 || spinCalled < spin*95/100 {
		t.Errorf("selfSpin: %d samples, %d under selfSpinCaller: want ≥200, ≥95%%", spin, spinCalled)
	}
	if n < 200 || underMain < n*95/100 {
		t.Errorf("child: %d samples in spin, work70 or work30, %d under main: want ≥200, ≥95%%", n, underMain)
	}
	if st.Failures[sampler.FailureUnwindUnknownProcess] != 0 {
		t.Errorf("failures %v: the processes were known", st.Failures)
	}
}

// selfSpinCaller calls selfSpin, so that its samples have a caller to
// find.
//
//go:noinline
func selfSpinCaller(d time.Duration) uint64 { return selfSpin(d) + 1 }

// goFunc reports whether pc is in this binary's function whose name ends
// with suffix.
func goFunc(pc uint64, suffix string) bool {
	f := runtime.FuncForPC(uintptr(pc))
	return f != nil && strings.HasSuffix(f.Name(), suffix)
}

// TestPerfRingUnwindCgo profiles a Go program whose time is in C code
// built -O2 -fomit-frame-pointer, called through cgo: the walk goes through
// the C frames by their rules, leaves the system stack the runtime switched
// to by a frame pointer, and is completed by the kernel's frame-pointer
// chain, up to main.main. By frame pointers alone, the C caller is lost.
func TestPerfRingUnwindCgo(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	goTool := testenv.RequireTool(t, "go", "")
	testenv.RequireTool(t, "gcc", "")
	bin := filepath.Join(t.TempDir(), "cgo_work")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = filepath.Join("testdata", "cgo_work")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	c := testenv.StartChild(t, exec.Command(bin))
	c.WaitLine(t, "ready")
	pid := uint32(c.Process.Pid)
	res := samplertest.NewResolver(t, int(pid), bin)
	cfi, fp := profileBoth(t, pid, registryOf(t, pid), 1000)
	inLeaf := func(names []string) bool { return len(names) > 0 && names[0] == "c_leaf" }
	whole := func(names []string) bool {
		i := slices.Index(names, "main.callC")
		return len(names) > 1 && names[1] == "c_outer" && i > 1 && above(names, i, "main.main")
	}
	n, ok := cfi.share(res, inLeaf, whole)
	fpN, fpOK := fp.share(res, inLeaf, whole)
	t.Logf("c_leaf samples: cfi %d of %d under c_outer, main.callC and main.main; fp %d of %d", ok, n, fpOK, fpN)
	if n < 500 || ok < n*95/100 || cfi.stats.Failures[sampler.FailureUnwindStackSwitch] < ok {
		t.Errorf("cfi: %d of %d c_leaf samples whole, %d completed by the kernel's chain: want ≥500, ≥95%%, all",
			ok, n, cfi.stats.Failures[sampler.FailureUnwindStackSwitch])
	}
	if fpN < 500 || fpOK > fpN/20 {
		t.Errorf("fp: %d of %d c_leaf samples whole: want the defect (≤5%%), or the test proves nothing", fpOK, fpN)
	}
}
