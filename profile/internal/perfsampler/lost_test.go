package perfsampler

import (
	"os"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// TestPerfRingLost holds the reader back while a tiny ring overflows, and
// checks the overflow is counted.
func TestPerfRingLost(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cfg := samplertest.CPUClock(10000)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.MaxStacks = 1
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pr := s
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				samplertest.SpinFor(time.Millisecond)
			}
		}
	}()
	pr.mu.Lock() // the reader cannot empty the rings
	time.Sleep(300 * time.Millisecond)
	pr.mu.Unlock()
	// The kernel writes its LOST record once there is room again.
	time.Sleep(200 * time.Millisecond)
	close(stop)
	samples, st := samplertest.DrainAll(t, s)
	var n uint64
	for _, rs := range samples {
		n += rs.Count
	}
	t.Logf("%d samples kept, %d lost, failures %v", n, st.Lost, st.Failures)
	if st.Lost == 0 || st.Failures[sampler.FailureRingFull] != st.Lost {
		t.Errorf("lost %d, ring-full %d: want the same, non-zero", st.Lost, st.Failures[sampler.FailureRingFull])
	}
}
