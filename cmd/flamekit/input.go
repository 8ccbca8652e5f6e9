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
	f, err := collapse.ParseFormat(in.format)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	opts := in.opts
	opts.Format = f
	if in.all {
		opts.Perf.Kernel, opts.Perf.JIT = true, true
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
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, collapse.Stats{}, err
		}
		defer f.Close()
		r = f
	}
	p, stats, err := collapse.Read(r, opts)
	if errors.Is(err, collapse.ErrUnknownFormat) {
		err = fmt.Errorf("%w; name the format with --format perf|pprof|bpftrace|folded", err)
	}
	if err != nil {
		return nil, stats, fmt.Errorf("%s: %w", displayName(name), err)
	}
	return p, stats, nil
}

func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}
