package bpfsampler

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
	"github.com/flamekit/flamekit/symbolize"
)

// BenchmarkUnwind samples programs built -O2 -fomit-frame-pointer, one
// per CPU so that nearly every sample is theirs, at 999 Hz, walking their
// user stacks by frame pointers (bpf_get_stack) or by CFI: cfisplit's
// stacks have 5 frames, cfideep's 45. An op is a drain of 100 ms of
// samples. It reports the BPF program's own run time per sample
// (bpf-ns/sample, from the kernel's BPF statistics, every sample of the
// machine included) and the frames per sample of the programs.
func BenchmarkUnwind(b *testing.B) {
	for _, prog := range []string{"cfisplit", "cfideep"} {
		for _, mode := range []string{"fp", "cfi"} {
			b.Run(prog+"/"+mode, func(b *testing.B) { benchmarkUnwind(b, prog, mode == "cfi") })
		}
	}
}

func benchmarkUnwind(b *testing.B, prog string, cfi bool) {
	testenv.RequireRoot(b)
	stats, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		b.Fatal(err)
	}
	defer stats.Close()
	var pids []uint32
	for range runtime.NumCPU() {
		pids = append(pids, uint32(startTestdata(b, prog, "-O2", "-fomit-frame-pointer")))
	}
	cfg := samplertest.CPUClock(999)
	cfg.UserOnly = true
	if cfi {
		cfg.Unwind = newRegistry(b)
	}
	s, err := Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if cfi {
		for _, pid := range pids {
			if _, err := cfg.Unwind.AddProcess(pid, unwindObjects(snapshot(b, int(pid)))); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := s.Drain(func(sampler.Sample) {}); err != nil {
		b.Fatal(err)
	}
	base, err := s.objs.OnSample.Stats()
	if err != nil {
		b.Fatal(err)
	}
	var samples, frames uint64
	for b.Loop() {
		b.StopTimer()
		time.Sleep(100 * time.Millisecond)
		b.StartTimer()
		_, err := s.Drain(func(rs sampler.Sample) {
			for _, pid := range pids {
				if rs.PID == pid {
					samples += rs.Count
					frames += rs.Count * uint64(len(rs.User))
				}
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	ps, err := s.objs.OnSample.Stats()
	if err != nil || ps.RunCount == base.RunCount {
		b.Fatalf("program stats %+v, %v", ps, err)
	}
	b.ReportMetric(float64(ps.Runtime-base.Runtime)/float64(ps.RunCount-base.RunCount), "bpf-ns/sample")
	b.ReportMetric(float64(frames)/float64(max(samples, 1)), "frames/sample")
}

// BenchmarkUnwindMachine loads the unwind tables of every process running
// on the machine into the sampler's maps, as a system-wide session does
// at its start; an op is the whole machine. It reports the processes and
// tables loaded and the memory of the maps (table-bytes, process-bytes).
func BenchmarkUnwindMachine(b *testing.B) {
	testenv.RequireRoot(b)
	var mem UnwindMemory
	var procs int
	for b.Loop() {
		reg := unwind.NewRegistry(unwind.Options{Linger: 0})
		cfg := samplertest.CPUClock(1)
		cfg.PIDs = []uint32{uint32(os.Getpid())}
		cfg.Unwind = reg
		s, err := Start(cfg)
		if err != nil {
			b.Fatal(err)
		}
		procs = 0
		entries, err := os.ReadDir("/proc")
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			snap, err := symbolize.SnapshotProcess(pid)
			if err != nil {
				continue // a kernel thread, or gone
			}
			if _, err := reg.AddProcess(uint32(pid), unwindObjects(snap)); err == nil {
				procs++
			}
			snap.Close()
		}
		mem = s.UnwindMemory()
		s.Close()
		reg.Close()
	}
	b.ReportMetric(float64(procs), "processes")
	b.ReportMetric(float64(mem.Tables), "tables")
	b.ReportMetric(float64(mem.TableBytes), "table-bytes")
	b.ReportMetric(float64(mem.ProcessBytes), "process-bytes")
}
