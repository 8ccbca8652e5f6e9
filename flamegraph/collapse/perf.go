package collapse

import (
	"fmt"
	"io"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse/internal/perfscript"
)

// PerfOptions selects what [Perf] keeps of `perf script` output, with the
// meanings of stackcollapse-perf.pl's flags (its --all is Kernel and JIT).
// The zero value folds the first event type with one frame per function
// and the comm as the root frame.
type PerfOptions struct {
	PID         bool   // --pid: process frame "comm-PID"
	TID         bool   // --tid: process frame "comm-PID/TID" (takes precedence over PID)
	Kernel      bool   // --kernel: annotate kernel frames with flamegraph.KernelSuffix (see Perf)
	JIT         bool   // --jit: annotate JIT frames with flamegraph.JITSuffix (see Perf)
	Addrs       bool   // --addrs: name [unknown] frames with their address
	EventFilter string // keep samples of this event only (default: the first seen)
	Threads     int    // worker goroutines; 0 or 1 means one
}

// PerfStats describes what [Perf] read, beyond the folded stacks: the
// Perf field of [Stats].
type PerfStats struct {
	// Event is the event type whose samples were kept: EventFilter, or else
	// the first one a header named ("" when no header named one; then every
	// sample is kept).
	Event string
	// Samples counts the samples folded.
	Samples int
	// Filtered counts the samples dropped because their event type was not
	// Event. stackcollapse-perf.pl warns "Filtering for events of type"
	// when this happens without an EventFilter.
	Filtered int
	// Truncated reports that the input ended inside a sample (no blank line
	// after it). That sample is not counted, as stackcollapse-perf.pl does
	// not: the input was likely cut and the sample may lack its root frames.
	Truncated bool
}

// Perf folds the text that `perf script` prints for samples recorded with
// call graphs (perf record -g), as stackcollapse-perf.pl does: one stack per
// sample, root first, under a process frame named after the comm (spaces
// become '_'), weighted by the sample's period (1 when the header shows
// none). Offsets ("+0x1f") are dropped, inline chains ("f->g") split into
// frames with the inner ones marked [flamegraph.InlinedSuffix], "[unknown]"
// symbols named after their dso, and names tidied: ';' becomes ':', argument
// lists go (except in Go method names and "(anonymous namespace)"), quotes
// go, and in java processes a leading 'L' of class names goes.
//
// Kernel frames, which PerfOptions.Kernel marks with
// [flamegraph.KernelSuffix], are those whose dso is in brackets
// ("[kernel.kallsyms]", "[nf_conntrack]") or ends in "vmlinux", unless it
// contains "unknown", and, beyond the perl, versioned vmlinux files
// ("vmlinux-6.1.0-18-amd64") and module files (".ko", also compressed). JIT
// frames, which PerfOptions.JIT marks with [flamegraph.JITSuffix], are those
// of a perf map ("/tmp/perf-PID.map") and, beyond the perl, of the ELF files
// perf inject makes from a jitdump ("jitted-PID-N.so").
//
// Perf streams: it holds one sample, one entry per distinct stack and
// frame name, and tables of distinct frame lines and symbols and a memo of
// repeated sample bodies bounded to 16 MiB in all, never the input. Lines
// starting with '#' are comments; lines it does not recognise are counted in
// the profile's Skipped. CRLF line ends (which the perl does not read) and
// invalid UTF-8 are accepted. Only a read error fails; the profile and the
// stats read up to it are returned with the error. io.ErrUnexpectedEOF from
// r (a gzip stream cut short) is such an error, never the end of the input.
// The stacks come sorted by their frames, each once.
//
// The profile's Unit says what the counts measure. Counts are samples when
// every sample counts 1 (no period shown, or 1); otherwise they are sums of
// periods, in the unit of the event kept: "nanoseconds" for cpu-clock and
// task-clock, whose period is time, and else the event's name without its
// modifiers ("cycles", "page-faults", "sched:sched_switch"), as the period
// of any other event counts its occurrences.
//
// The returned [Stats] has the event kept, the samples folded and those
// left out in its Perf field.
//
// With Threads > 1 the input is cut at sample boundaries and folded by that
// many goroutines; the result is the same as with one.
func Perf(r io.Reader, opts PerfOptions) (*flamegraph.Profile, Stats, error) {
	return perf(r, opts, perfscript.DefaultSizes)
}

// perf is Perf with the buffer sizes given; tests make them small.
func perf(r io.Reader, opts PerfOptions, sizes perfscript.Sizes) (*flamegraph.Profile, Stats, error) {
	p, st, err := perfscript.Read(r, perfscript.Options(opts), sizes)
	stats := Stats{Format: FormatPerf, Perf: PerfStats(st)}
	if err != nil {
		return p, stats, fmt.Errorf("collapse: reading perf script: %w", err)
	}
	return p, stats, nil
}

// PerfWriteFolded folds `perf script` text as Perf does and writes the
// stacks to w in folded form, the bytes flamegraph.Profile.WriteTo writes
// of Perf's profile, without making the profile: with one thread each
// stack's text goes straight into the output buffer, so the texts of all
// stacks are never in memory at once. It returns the lines skipped and the
// Stats. On a read error nothing is written.
func PerfWriteFolded(w io.Writer, r io.Reader, opts PerfOptions) (flamegraph.Skipped, Stats, error) {
	skipped, st, err := perfscript.WriteFolded(w, r, perfscript.Options(opts), perfscript.DefaultSizes)
	stats := Stats{Format: FormatPerf, Perf: PerfStats(st)}
	if err != nil {
		return skipped, stats, fmt.Errorf("collapse: reading perf script: %w", err)
	}
	return skipped, stats, nil
}
