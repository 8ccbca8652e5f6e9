package profile

import (
	"bufio"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
)

// buildC compiles a C program with frame pointers everywhere (-O0).
func buildC(t *testing.T, name, src string, flags ...string) string {
	t.Helper()
	dir := t.TempDir()
	cfile := filepath.Join(dir, name+".c")
	if err := os.WriteFile(cfile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	args := append([]string{"-O0", "-g", "-fno-omit-frame-pointer", "-o", bin, cfile}, flags...)
	if out, err := exec.Command(testenv.RequireTool(t, "gcc", ""), args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// startC starts bin and stops it when the test ends.
func startC(t *testing.T, bin string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// funcSym is a function symbol of an executable, at its link-time address.
type funcSym struct {
	name       string
	start, end uint64
}

// testResolver names the addresses of one executable in one running
// process, from its ELF symbol table and /proc/PID/maps. It is a test aid,
// not a symbolizer.
type testResolver struct {
	syms  []funcSym
	loads []elf.ProgHeader
	maps  []testMapping
}

type testMapping struct{ start, end, off uint64 }

func newTestResolver(t *testing.T, pid int, exe string) *testResolver {
	t.Helper()
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := &testResolver{syms: elfFuncs(t, f)}
	sort.Slice(r.syms, func(i, j int) bool { return r.syms[i].start < r.syms[j].start })
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			r.loads = append(r.loads, p.ProgHeader)
		}
	}
	mf, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	real, _ := filepath.EvalSymlinks(exe)
	sc := bufio.NewScanner(mf)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[5] != real {
			continue
		}
		lo, hi, _ := strings.Cut(fs[0], "-")
		var m testMapping
		m.start, _ = strconv.ParseUint(lo, 16, 64)
		m.end, _ = strconv.ParseUint(hi, 16, 64)
		m.off, _ = strconv.ParseUint(fs[2], 16, 64)
		r.maps = append(r.maps, m)
	}
	if len(r.maps) == 0 {
		t.Fatalf("no mapping of %s in process %d", real, pid)
	}
	return r
}

// elfFuncs returns the functions of f's symbol table, or of its Go line
// table when it has none (go test strips its binaries).
func elfFuncs(t *testing.T, f *elf.File) []funcSym {
	var fns []funcSym
	syms, err := f.Symbols()
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			fns = append(fns, funcSym{s.Name, s.Value, s.Value + s.Size})
		}
	}
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if err == nil || pcln == nil || text == nil {
		return fns
	}
	data, err := pcln.Data()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range tab.Funcs {
		fns = append(fns, funcSym{fn.Name, fn.Entry, fn.End})
	}
	return fns
}

// name returns the function holding addr, or "".
func (r *testResolver) name(addr uint64) string {
	for _, m := range r.maps {
		if addr < m.start || addr >= m.end {
			continue
		}
		off := addr - m.start + m.off
		for _, p := range r.loads {
			if off >= p.Off && off < p.Off+p.Filesz {
				v := off - p.Off + p.Vaddr
				i := sort.Search(len(r.syms), func(i int) bool { return r.syms[i].end > v })
				if i < len(r.syms) && r.syms[i].start <= v {
					return r.syms[i].name
				}
			}
		}
	}
	return ""
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// cpuClock returns a config sampling cpu-clock at hz.
func cpuClock(hz uint64) samplerConfig {
	return samplerConfig{EventType: unix.PERF_TYPE_SOFTWARE, EventConfig: unix.PERF_COUNT_SW_CPU_CLOCK, Frequency: hz}
}

// drainAll drains s into a slice.
func drainAll(t *testing.T, s sampler) ([]rawSample, samplerStats) {
	t.Helper()
	var out []rawSample
	st, err := s.drain(func(rs rawSample) { out = append(out, rs) })
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

// drainUntil drains s every half second until it has handed over n
// samples that match (nil: any) or d has passed: on a loaded machine a
// workload gets less CPU.
func drainUntil(t *testing.T, s sampler, n uint64, match func(rawSample) bool, d time.Duration) ([]rawSample, samplerStats) {
	t.Helper()
	var all []rawSample
	var stats samplerStats
	var count uint64
	for deadline := time.Now().Add(d); count < n && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		more, st := drainAll(t, s)
		for _, rs := range more {
			if match == nil || match(rs) {
				count += rs.Count
			}
		}
		all = append(all, more...)
		stats.Lost += st.Lost
	}
	return all, stats
}

// procCPUTime returns the user and system CPU time process pid has used,
// from /proc/PID/stat (in clock ticks of 10 ms).
func procCPUTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if i < 0 || err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// testCgroup makes a cgroup v2 for a test, removed when the test ends
// (after its workload is killed: cleanups run last first). It skips, or
// under CI fails, when none can be made.
func testCgroup(t *testing.T, prefix string) string {
	t.Helper()
	root, err := cgroup2Mount()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(root, prefix)
	if err != nil {
		testenv.SkipOrFail(t, "no cgroup v2 to create a group in: %v", err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.Remove(dir) == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("cgroup %s not removed", dir)
	})
	return dir
}

// runAsNobody runs one test of a copy of this test binary as the user
// nobody, with env set, and returns its output.
func runAsNobody(t *testing.T, test, env string) []byte {
	t.Helper()
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	dir, err := os.MkdirTemp("", "flamekit-nobody-") // t.TempDir's parent is private
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "profile.test")
	copyFile(t, os.Args[0], bin)
	cmd := exec.Command(bin, "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
	return out
}

// inKernel keeps a goroutine of the test making system calls, so that
// kernel stacks are sampled, until the returned function is called.
func inKernel() (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				unix.Getppid()
			}
		}
	}()
	return func() { close(done) }
}
