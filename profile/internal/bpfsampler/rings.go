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

// readProcesses passes each process event to cfg's callbacks until rd is
// closed: first samples and execs to OnNewProcess, exits to OnProcessExit
// (when not nil).
func readProcesses(rd *ringbuf.Reader, cfg sampler.Config) {
	var rec ringbuf.Record
	for {
		if err := rd.ReadInto(&rec); err != nil {
			return // closed: nothing else ends a blocking read
		}
		var ev bpf.ProfileProcessEvent
		if _, err := binary.Decode(rec.RawSample, binary.LittleEndian, &ev); err != nil {
			continue
		}
		call := cfg.OnNewProcess
		if bpf.ProfileProcessKind(ev.Kind) == bpf.ProfileProcessKindPROCESS_EXIT {
			call = cfg.OnProcessExit
		}
		if call != nil {
			call(ev.Pid)
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
