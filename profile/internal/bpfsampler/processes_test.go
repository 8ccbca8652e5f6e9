package bpfsampler

import (
	"os/exec"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestBPFNewProcess checks that OnNewProcess hears of a process started
// after the sampler at its first sample, and again at its first sample
// after an exec (a new address space): a shell that spins, then execs a
// busy program.
func TestBPFNewProcess(t *testing.T) {
	testenv.RequireRoot(t)
	bin := samplertest.BuildC(t, "split")
	got := make(chan uint32, 1024)
	cfg := samplertest.CPUClock(99)
	cfg.OnNewProcess = func(pid uint32) { got <- pid }
	s := startTest(t, cfg)
	c := testenv.StartChild(t, exec.Command("sh", "-c", `i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; exec "$0"`, bin))
	pid := uint32(c.Process.Pid)
	announced := 0
	for deadline := time.After(10 * time.Second); announced < 2; {
		select {
		case p := <-got:
			if p == pid {
				announced++
			}
		case <-deadline:
			t.Fatalf("OnNewProcess heard of pid %d %d times in 10 s, want 2 (its first sample, and its first after exec)", pid, announced)
		}
	}
	samples, _ := samplertest.DrainAll(t, s)
	for _, rs := range samples {
		if rs.PID == 0 {
			t.Fatalf("idle sample without IncludeIdle: %+v", rs)
		}
	}
}

// TestBPFPIDChildren checks that the PID filter takes in a process the
// target starts after the sampler: a shell that, once told, runs a busy
// program under timeout(1).
func TestBPFPIDChildren(t *testing.T) {
	testenv.RequireRoot(t)
	bin := samplertest.BuildC(t, "split")
	sh := exec.Command("sh", "-c", `read x; timeout 0.5 "$0"`, bin)
	in, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer sh.Wait()
	defer in.Close()
	other := samplertest.Start(t, bin)
	cfg := samplertest.CPUClock(499)
	cfg.PIDs = []uint32{uint32(sh.Process.Pid)}
	s := startTest(t, cfg)
	if _, err := in.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	if err := sh.Wait(); err == nil || sh.ProcessState.ExitCode() != 124 {
		t.Fatalf("shell: %v, want timeout's exit status 124", err)
	}
	samples, st := samplertest.DrainAll(t, s)
	var child uint64
	for _, rs := range samples {
		switch {
		case rs.PID == uint32(other.Process.Pid):
			t.Fatalf("sample of a process outside the filter: %+v", rs)
		case rs.Comm == "split" && rs.PID != uint32(sh.Process.Pid):
			child += rs.Count
		}
	}
	t.Logf("%d samples of the child; %+v", child, st)
	if child < 5 { // ~250 on an idle machine
		t.Errorf("%d samples of the target's child in 0.5 s at 499 Hz", child)
	}
	if n := mapLen(t, s.objs.Pids); n != 1 {
		t.Errorf("%d processes in the PID filter after the children exited, want 1", n)
	}
}
