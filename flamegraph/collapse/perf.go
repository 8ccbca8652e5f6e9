package collapse

import (
	"errors"
	"io"

	"github.com/flamekit/flamekit/flamegraph"
)

// PerfOptions selects what Perf keeps of `perf script` output, with the
// meanings of stackcollapse-perf.pl's flags.
type PerfOptions struct {
	PID         bool   // --pid: process frame "comm-PID"
	TID         bool   // --tid: process frame "comm-PID/TID"
	Kernel      bool   // --kernel: annotate kernel frames with _[k]
	JIT         bool   // --jit: annotate JIT frames with _[j]
	All         bool   // --all: Kernel and JIT
	Addrs       bool   // --addrs: name [unknown] frames with their address
	EventFilter string // keep samples of this event only (default: the first seen)
	Threads     int    // worker goroutines; 0 or 1 means one
}

// Perf folds `perf script` output. (Being written.)
func Perf(r io.Reader, opts PerfOptions) (*flamegraph.Profile, error) {
	return nil, errors.New("collapse: perf reader not written yet")
}
