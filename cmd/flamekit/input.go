package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
)

// inputFlags are the flags that say how to read profiles: the format and the
// options of the perf script and pprof readers.
type inputFlags struct {
	format string
	all    bool // --all: --kernel and --jit, as stackcollapse-perf.pl has it
	opts   collapse.Options
	// mapped, when not nil, makes read map regular files of folded
	// stacks rather than read them, and holds the mappings (readMapped).
	mapped *mappedFiles
}

func (in *inputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&in.format, "format", "auto", "input format: auto, perf, pprof, bpftrace, folded")
	p := &in.opts.Perf
	fs.BoolVar(&p.PID, "pid", false, "perf: include the PID in the process frame (comm-PID)")
	fs.BoolVar(&p.TID, "tid", false, "perf: include PID and TID in the process frame (comm-PID/TID)")
	fs.BoolVar(&p.Kernel, "kernel", false, "perf: annotate kernel frames with _[k]")
	fs.BoolVar(&p.JIT, "jit", false, "perf: annotate JIT frames with _[j]")
	fs.BoolVar(&in.all, "all", false, "perf: all annotations (--kernel and --jit)")
	fs.BoolVar(&p.Addrs, "addrs", false, "perf: name [unknown] frames with their addresses")
	fs.StringVar(&p.EventFilter, "event-filter", "", "perf: keep samples of this event (default: the first event seen)")
	fs.IntVar(&p.Threads, "j", 1, "perf: worker threads")
	fs.StringVar(&in.opts.Pprof.SampleType, "sample-type", "", "pprof: sample type to use, by name (default: the profile's default)")
}

// read reads and merges the named files, or stdin when there are none or a
// name is "-". Skipped lines are reported on stderr.
func (in *inputFlags) read(files []string, stdin io.Reader, stderr io.Writer) (*flamegraph.Profile, error) {
	opts, err := in.options()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	var profiles []*flamegraph.Profile
	for _, name := range files {
		p, stats, err := in.readFile(name, opts, stdin)
		if err != nil {
			return nil, err
		}
		warn(stderr, displayName(name), p.Skipped, stats.Perf, opts.Perf.EventFilter)
		profiles = append(profiles, p)
	}
	if len(profiles) == 1 {
		return profiles[0], nil
	}
	return flamegraph.Merge(profiles...), nil
}

// options returns the collapse options the flags select.
func (in *inputFlags) options() (collapse.Options, error) {
	f, err := collapse.ParseFormat(in.format)
	if err != nil {
		return collapse.Options{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	opts := in.opts
	opts.Format = f
	if in.all {
		opts.Perf.Kernel, opts.Perf.JIT = true, true
	}
	return opts, nil
}

// writeFolded reads the named file, or stdin for "-", and writes its
// stacks to w in folded form (collapse.WriteFolded: perf script input
// without making the profile). Skipped lines are reported on stderr.
func (in *inputFlags) writeFolded(name string, w io.Writer, stdin io.Reader, stderr io.Writer) error {
	opts, err := in.options()
	if err != nil {
		return err
	}
	r, closeInput, err := openInput(name, stdin)
	if err != nil {
		return err
	}
	defer closeInput()
	out := &errorWriter{w: w}
	skipped, stats, err := collapse.WriteFolded(out, r, opts)
	if out.err != nil {
		return out.err // as Profile.WriteTo's, not the input's
	}
	if err != nil {
		return readError(name, err)
	}
	warn(stderr, displayName(name), skipped, stats.Perf, opts.Perf.EventFilter)
	return nil
}

// warn reports on stderr what a reader left out: malformed lines, samples
// of other perf events, a cut-off last sample.
func warn(stderr io.Writer, name string, skipped flamegraph.Skipped, stats collapse.PerfStats, eventFilter string) {
	if skipped.Lines > 0 {
		fmt.Fprintf(stderr, "flamekit: %s: %s\n", name, skipped)
	}
	if stats.Filtered > 0 && eventFilter == "" {
		fmt.Fprintf(stderr, "flamekit: %s: kept the %d samples of the first event type, %s; left out %d of other types (choose with --event-filter)\n",
			name, stats.Samples, stats.Event, stats.Filtered)
	}
	if stats.Truncated {
		fmt.Fprintf(stderr, "flamekit: %s: the input ends inside a sample (no blank line after it); that sample was left out\n", name)
	}
}

// readOne reads the named file, or stdin for "-", and returns the profile
// with what the reader says it read.
func readOne(name string, opts collapse.Options, stdin io.Reader) (*flamegraph.Profile, collapse.Stats, error) {
	r, closeInput, err := openInput(name, stdin)
	if err != nil {
		return nil, collapse.Stats{}, err
	}
	defer closeInput()
	p, stats, err := collapse.Read(r, opts)
	if err != nil {
		return nil, stats, readError(name, err)
	}
	return p, stats, nil
}

// openInput opens the named file, or returns stdin for "-", with what
// closes it.
func openInput(name string, stdin io.Reader) (io.Reader, func(), error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// readError is the error of reading the named input, with a hint when its
// format was not recognised.
func readError(name string, err error) error {
	if errors.Is(err, collapse.ErrUnknownFormat) {
		err = fmt.Errorf("%w; name the format with --format perf|pprof|bpftrace|folded", err)
	}
	return fmt.Errorf("%s: %w", displayName(name), err)
}

func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// errorWriter is a writer that remembers the first error of w, to tell
// the errors of writing from those of reading.
type errorWriter struct {
	w   io.Writer
	err error
}

func (e *errorWriter) Write(b []byte) (int, error) {
	n, err := e.w.Write(b)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}
