package fleet

import (
	"fmt"
	"io"
)

// Stats counts what a [Queue] did with its batches (profiles).
type Stats struct {
	Queued      int    // batches held now
	QueuedBytes int64  // their size
	Pushed      uint64 // batches the backend accepted
	PushedBytes uint64 // their pprof bytes
	Failed      uint64 // push requests that failed (each is logged)
	Retried     uint64 // push requests that were retries of a failed one
	Dropped     uint64 // batches dropped: the queue was full, or Close's deadline passed
	Rejected    uint64 // batches the backend refused for good (ErrRejected: a request's all, or as many as an OTLP partial success says)
}

// String returns the counts as one log line's worth of key=value pairs.
func (s Stats) String() string {
	return fmt.Sprintf("pushed=%d failed=%d retried=%d dropped=%d rejected=%d queued=%d queued_bytes=%d",
		s.Pushed, s.Failed, s.Retried, s.Dropped, s.Rejected, s.Queued, s.QueuedBytes)
}

// WritePrometheus writes the counts in Prometheus' text format, with the
// metric name prefix given (such as "flamekit_agent").
func (s Stats) WritePrometheus(w io.Writer, prefix string) error {
	metrics := []struct {
		name, kind, help string
		value            uint64
	}{
		{"profiles_pushed_total", "counter", "Profiles the backend accepted.", s.Pushed},
		{"pushed_bytes_total", "counter", "Bytes of pprof the backend accepted.", s.PushedBytes},
		{"push_failures_total", "counter", "Push requests that failed.", s.Failed},
		{"push_retries_total", "counter", "Push requests that retried a failed one.", s.Retried},
		{"profiles_dropped_total", "counter", "Profiles dropped because the queue was full or the flush deadline passed.", s.Dropped},
		{"profiles_rejected_total", "counter", "Profiles the backend refused for good.", s.Rejected},
		{"profiles_queued", "gauge", "Profiles waiting to be pushed.", uint64(s.Queued)},
		{"queued_bytes", "gauge", "Bytes of the profiles waiting to be pushed.", uint64(s.QueuedBytes)},
	}
	for _, m := range metrics {
		name := prefix + "_" + m.name
		if _, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, m.help, name, m.kind, name, m.value); err != nil {
			return err
		}
	}
	return nil
}
