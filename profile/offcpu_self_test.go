package profile_test

import (
	"context"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
)

// blockedInRead reads one byte of fd on a thread of its own, blocking
// until it comes.
//
//go:noinline
func blockedInRead(fd int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var b [1]byte
	for {
		if _, err := syscall.Read(fd, b[:]); err != syscall.EINTR {
			return
		}
	}
}

// TestOffCPUSelf records this process's own off-CPU time with the perf
// backend, as a Go service would without root: a goroutine locked to its
// thread blocks five times 200 ms (or more, on a busy machine) reading a
// pipe, and its function has most of the rounds' time blocked. Stacks are walked by frame pointers, as
// Go's are anyway: walked by call frame information, every switch of the
// test's threads would copy 16 KiB of stack, and the rings overflow (the
// blocks lost counted as ring-full and switch-unpaired).
func TestOffCPUSelf(t *testing.T) {
	if p, err := testenv.Paranoid(); os.Geteuid() != 0 && (err != nil || p > 1) {
		testenv.SkipOrFail(t, "off-CPU recording of oneself needs root, CAP_PERFMON or kernel.perf_event_paranoid ≤ 1 (paranoid %d, %v)", p, err)
	}
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	s, err := profile.Start(context.Background(), profile.Options{Self: true, Backend: profile.BackendPerf, Mode: profile.ModeOffCPU, Unwind: profile.UnwindFramePointers})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rounds time.Duration // the time of the rounds, which bounds the blocks'
	for range 5 {
		start := time.Now()
		done := make(chan struct{})
		go func() {
			blockedInRead(fds[0])
			close(done)
		}()
		time.Sleep(200 * time.Millisecond)
		syscall.Write(fds[1], []byte{1})
		<-done
		rounds += time.Since(start)
	}
	p, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	folded := p.Folded(profile.FoldOptions{})
	blocked := time.Duration(sum(folded, contains(".blockedInRead;"))) * time.Microsecond
	t.Logf("blockedInRead: %v blocked of the rounds' %v; %d lost, failures %v", blocked, rounds, p.Lost, p.Failures)
	if blocked < 900*time.Millisecond || blocked < rounds*8/10 || blocked > rounds {
		t.Errorf("blockedInRead blocked %v, want most of the %v of its five rounds (at least 5 × 200 ms)\n%s", blocked, rounds, dump(folded))
	}
	for _, st := range folded.Stacks {
		if strings.Contains(st.Frames, ".blockedInRead;") && !strings.Contains(st.Frames, "syscall.") {
			t.Errorf("a stack of blockedInRead does not go through package syscall: %s", st.Frames)
		}
	}
}
