package bpfsampler

import (
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// attachOther attaches a program that does nothing to the BTF tracepoint
// of the kernel, as another tool would, until the test ends: the kernel
// then calls the tracepoint's programs through its iterator.
func attachOther(t *testing.T, tracepoint string) {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name: "other_tool", Type: ebpf.Tracing, AttachType: ebpf.AttachTraceRawTp, AttachTo: tracepoint,
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
		License:      "GPL",
	})
	if err != nil {
		t.Fatalf("loading a program for %s: %v", tracepoint, err)
	}
	t.Cleanup(func() { prog.Close() })
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		t.Fatalf("attaching a program to %s: %v", tracepoint, err)
	}
	t.Cleanup(func() { l.Close() })
}

// TestOffCPUOtherToolAttached records offcpu_split off CPU with wakeups
// while another program is attached to sched_switch and sched_waking for
// the whole recording: every block's kernel stack still starts at the
// scheduler and every waker's at try_to_wake_up, not in the tracepoint's
// iterator, in the drains and in DrainOpen's open blocks; and the main
// thread's blocks in wait_for_answer are woken by answer_later.
func TestOffCPUOtherToolAttached(t *testing.T) {
	testenv.RequireRoot(t)
	attachOther(t, "sched_switch")
	attachOther(t, "sched_waking")
	p := startOffCPUProgram(t, "offcpu_split")
	ks := readKallsyms(t)
	samples, _ := recordOffCPU(t, p, offCPUConfig(p.pid, sampler.OffCPU{Wakeups: true}), 500*time.Millisecond)
	var blocks, wakers, woken uint64
	bad := map[string]uint64{}
	for _, rs := range samples {
		if !rs.OffCPU || rs.PID != p.pid {
			continue
		}
		blocks += rs.Count
		if len(rs.Kernel) == 0 || !strings.Contains(ks.name(rs.Kernel[0]), "schedule") {
			bad["block "+leafName(ks, rs.Kernel)] += rs.Count
		}
		if rs.Waker == nil || len(rs.Waker.Kernel) == 0 {
			continue
		}
		wakers += rs.Count
		if leaf := leafName(ks, rs.Waker.Kernel); leaf != "try_to_wake_up" {
			bad["waker "+leaf] += rs.Count
		}
		if rs.TID == p.pid && p.has(rs.User, "wait_for_answer") && p.has(rs.Waker.User, "answer_later") {
			woken += rs.Count
		}
	}
	t.Logf("%d blocks, %d with a waker's kernel stack, %d in wait_for_answer woken by answer_later", blocks, wakers, woken)
	if len(bad) > 0 {
		t.Errorf("kernel stacks that start elsewhere than the scheduler or the wakeup (leaf: count): %v", bad)
	}
	if blocks < 100 || wakers < 50 || woken < 30 {
		t.Errorf("%d blocks, %d wakers, %d in wait_for_answer woken by answer_later: want at least 100, 50, 30", blocks, wakers, woken)
	}
}

// leafName names the leaf of a kernel stack ("" if empty).
func leafName(ks *kernelSyms, frames []uint64) string {
	if len(frames) == 0 {
		return ""
	}
	return ks.name(frames[0])
}
