package bpfsampler

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"

	"github.com/flamekit/flamekit/internal/bpf"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

const (
	pollEvery    = 100 * time.Millisecond // timed ring polling
	timedBacklog = 1 << 20                // timed samples kept between drains
)

// readProcesses hands the process events to an, a batch every
// processEvery, until stop is closed: first samples and execs as started,
// exits as ended. It never blocks in a system call: a reader parked in
// epoll_wait for each event makes the Go runtime's monitor spin (it hands
// the blocked thread's processor over, again and again), which under
// process churn cost more than the events.
func readProcesses(rd *ringbuf.Reader, an *sampler.Announcer, stop <-chan struct{}) {
	t := time.NewTicker(processEvery)
	defer t.Stop()
	var started, ended []uint32
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		var err error
		if started, ended, err = readAvailable(rd, started[:0], ended[:0]); err != nil {
			return // closed
		}
		an.Batch(started, ended)
	}
}

// processEvery is how often process events are read: a process sampled is
// announced one to two periods later if it still runs.
const processEvery = 10 * time.Millisecond

// readAvailable appends the processes of the events waiting in rd to
// started (first samples and execs) and ended (exits), without waiting for
// more; it fails when rd is closed.
func readAvailable(rd *ringbuf.Reader, started, ended []uint32) ([]uint32, []uint32, error) {
	if rd.AvailableBytes() == 0 {
		return started, ended, nil
	}
	rd.SetDeadline(time.Now())
	var rec ringbuf.Record
	for {
		err := rd.ReadInto(&rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return started, ended, nil
		}
		if err != nil {
			return started, ended, err
		}
		var ev bpf.ProfileProcessEvent
		if _, err := binary.Decode(rec.RawSample, binary.LittleEndian, &ev); err != nil {
			continue
		}
		if bpf.ProfileProcessKind(ev.Kind) == bpf.ProfileProcessKindPROCESS_EXIT {
			ended = append(ended, ev.Pid)
		} else {
			started = append(started, ev.Pid)
		}
	}
}

// timedLog collects the timed samples from their ring buffer.
type timedLog struct {
	rd      *ringbuf.Reader
	flushed chan struct{} // a flush was read up to its end
	done    chan struct{} // run returned

	mu      sync.Mutex
	samples []bpf.ProfileTimedSample
	dropped uint64 // samples beyond timedBacklog
}

func newTimedLog(m *ebpf.Map) (*timedLog, error) {
	rd, err := ringbuf.NewReader(m)
	if err != nil {
		return nil, fmt.Errorf("timed samples: %w", err)
	}
	return &timedLog{rd: rd, flushed: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// run reads the ring until it is closed.
func (l *timedLog) run() {
	defer close(l.done)
	var rec ringbuf.Record
	for {
		l.rd.SetDeadline(time.Now().Add(pollEvery))
		err := l.rd.ReadInto(&rec)
		switch {
		case err == nil:
			l.add(rec.RawSample)
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, ringbuf.ErrFlushed):
			select {
			case l.flushed <- struct{}{}:
			default: // already signalled
			}
		default:
			return
		}
	}
}

func (l *timedLog) add(raw []byte) {
	var s bpf.ProfileTimedSample
	if _, err := binary.Decode(raw, binary.LittleEndian, &s); err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.samples) >= timedBacklog {
		l.dropped++
		return
	}
	l.samples = append(l.samples, s)
}

// take reads the ring up to now and returns the samples of generation gen
// and the count of samples dropped since the last take; it keeps the
// others.
func (l *timedLog) take(gen uint32) ([]bpf.ProfileTimedSample, uint64, error) {
	if err := l.rd.Flush(); err != nil {
		return nil, 0, fmt.Errorf("timed samples: %w", err)
	}
	select {
	case <-l.flushed:
	case <-l.done:
		return nil, 0, errors.New("timed samples: reader stopped")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out, keep []bpf.ProfileTimedSample
	for _, s := range l.samples {
		if s.Generation == gen {
			out = append(out, s)
		} else {
			keep = append(keep, s)
		}
	}
	l.samples = keep
	dropped := l.dropped
	l.dropped = 0
	return out, dropped, nil
}

// close stops run.
func (l *timedLog) close() error {
	return l.rd.Close()
}
