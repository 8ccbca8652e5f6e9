package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/profile"
)

func runRecord(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	f, err := parseRecordFlags(args, stderr)
	if err != nil {
		return err
	}
	opts, cmd, err := f.sessionOptions(stdin, stdout, stderr)
	if err != nil {
		return err
	}
	// The output is checked (and its temporary file made) before sampling:
	// a bad -o fails now, not after the recording.
	o, err := openOutput(f.out, stdout)
	if err != nil {
		return err
	}
	// Ctrl-C and SIGTERM end the recording, and the output is still
	// written; a profiled command gets the signal and ends the recording
	// when it exits. (Notify also re-enables a SIGINT that a background
	// shell made ignored.)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	rec, err := f.record(opts, cmd, sigs, stderr, o)
	if err != nil {
		return o.finish(err)
	}
	return f.output(o, rec, cmd, stderr)
}

// record runs a profiling session until the duration passes, a signal
// comes or the command exits, and returns what it collected. perf script
// text goes to o as each collection comes.
func (f *recordFlags) record(opts profile.Options, cmd *exec.Cmd, sigs <-chan os.Signal, stderr io.Writer, o io.Writer) (*recording, error) {
	start := time.Now()
	s, err := profile.Start(context.Background(), opts)
	if errors.Is(err, profile.ErrOptions) {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rec := &recording{pprof: f.format == "pprof", fold: f.offCPU.foldOptions(f.perThread, f.format, f.graph.opts.Colors), folded: &flamegraph.Profile{}, backend: s.Backend()}
	if f.format == "perf-script" {
		rec.script = o
	}
	err = recordUntil(s, f.dur, cmd, sigs, stderr, rec.keep)
	rec.elapsed = time.Since(start)
	if err == nil {
		err = rec.scriptErr
	}
	return rec, err
}

// output writes the recording to o, and returns the profiled command's
// exit status as record's. A recording without samples is not written
// (unless --keep-empty) and is an error said on stderr.
func (f *recordFlags) output(o *output, rec *recording, cmd *exec.Cmd, stderr io.Writer) error {
	status := 0
	if cmd != nil {
		status = commandStatus(cmd.ProcessState)
	}
	if rec.total == 0 && !f.keepEmpty {
		o.finish(errNoSamples) // removes the temporary file
		what := "samples"
		if f.offCPU.mode() == profile.ModeOffCPU {
			what = "blocked time"
		}
		fmt.Fprintf(stderr, "flamekit record: no %s from %s in %.1fs (%s backend, %d lost); nothing written (--keep-empty writes an empty profile)\n",
			what, recordTarget(f.pids, f.cgroup, f.command), rec.elapsed.Seconds(), rec.backend, rec.lost)
		return exitStatus(cmp.Or(status, 1))
	}
	if err := o.finish(f.write(o, rec, stderr)); err != nil {
		return err
	}
	sayLost(stderr, "record", rec.lost, rec.total, rec.backend)
	if status != 0 {
		return exitStatus(status)
	}
	return nil
}

// sayLost tells stderr how many samples a recording by the subcommand
// lost, if it lost any: nothing is lost silently.
func sayLost(stderr io.Writer, subcommand string, lost, kept uint64, backend profile.Backend) {
	if lost > 0 {
		fmt.Fprintf(stderr, "flamekit %s: %d samples lost (%s backend), %d kept\n", subcommand, lost, backend, kept)
	}
}

// recording is what a recording collected. A pprof profile keeps every
// sample with its pid; folded stacks and flame graphs need only the merged
// stacks, so each collection is folded at once and memory stays bounded by
// the distinct stacks. perf script text, which has every sample, is written
// out collection by collection: memory holds one collection's samples.
type recording struct {
	pprof       bool
	fold        profile.FoldOptions // how collections are folded
	parts       []*profile.Profile  // with pprof
	folded      *flamegraph.Profile // without pprof or script
	script      io.Writer           // where perf script text goes, or nil
	scriptErr   error               // the first error writing it
	total, lost uint64              // samples
	timedLost   uint64              // samples missing from the perf script text
	backend     profile.Backend
	elapsed     time.Duration
}

// keep adds a collection to the recording.
func (r *recording) keep(p *profile.Profile) {
	r.total += p.Total()
	r.lost += p.Lost
	switch {
	case r.script != nil:
		r.timedLost += p.Failures[profile.FailureTimedRingFull] + p.Failures[profile.FailureTimedBacklogFull]
		if r.scriptErr == nil && len(p.Timed) > 0 { // all timed samples lost is not an error: timedLost says it
			r.scriptErr = p.WritePerfScript(r.script)
		}
	case r.pprof:
		r.parts = append(r.parts, p)
	default:
		r.folded = flamegraph.Merge(r.folded, p.Folded(r.fold)).Folded()
	}
}

// write writes the recording to w in the output format. A flame graph of
// no samples (--keep-empty) says so, and is no error.
func (f *recordFlags) write(w io.Writer, rec *recording, stderr io.Writer) error {
	switch f.format {
	case "svg":
		if f.graph.opts.Title == "" {
			f.graph.opts.Title = fmt.Sprintf("%s profile (%d samples)", f.event, rec.total)
		}
		err := f.graph.render(w, stderr, rec.folded)
		if rec.total == 0 && errors.Is(err, flamegraph.ErrEmpty) {
			err = nil // --keep-empty: the SVG says there are no samples
		}
		return err
	case "pprof":
		return profile.Merge(rec.parts...).WritePprof(w)
	case "perf-script":
		if rec.timedLost > 0 {
			fmt.Fprintf(stderr, "flamekit record: %d of %d samples lost from the timed log are not in the perf script text\n", rec.timedLost, rec.total)
		}
		return nil // written as it came
	}
	_, err := rec.folded.WriteTo(w)
	return err
}

// errNoSamples makes finish discard the output of a recording without
// samples.
var errNoSamples = errors.New("no samples")

// recordUntil waits until the duration passes or a signal comes, or with
// a command until the command exits, showing progress on a terminal, and
// hands what it collects to keep: every recordCollectEvery, and at the
// end. A signal goes on to the command, and a second one kills it.
func recordUntil(s *profile.Session, d time.Duration, cmd *exec.Cmd, sigs <-chan os.Signal, stderr io.Writer, keep func(*profile.Profile)) error {
	start := time.Now()
	var deadline <-chan time.Time
	if cmd == nil {
		deadline = time.After(d)
	}
	signalled := false
	progress := isTerminal(stderr)
	var tick <-chan time.Time
	if progress {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		tick = t.C
	}
	show := func(end string) {
		samples, lost := s.Stats()
		fmt.Fprintf(stderr, "\rrecording (%s): %5.1fs, %d samples, %d lost%s", s.Backend(), time.Since(start).Seconds(), samples, lost, end)
	}
	// Collecting every so often names the processes that exited and lets
	// their snapshots go, so a long recording with many short-lived
	// processes holds neither their files open nor their raw stacks.
	collect := time.NewTicker(recordCollectEvery)
	defer collect.Stop()
wait:
	for {
		select {
		case <-collect.C:
			p, err := s.Collect()
			if err != nil {
				return err
			}
			keep(p)
		case <-tick:
			show(" ")
		case <-deadline:
			break wait
		case <-s.Done():
			break wait
		case sig := <-sigs:
			switch {
			case cmd == nil:
				break wait
			case signalled:
				cmd.Process.Kill()
			default:
				cmd.Process.Signal(sig)
				signalled = true
			}
		}
	}
	if progress {
		show("\n")
	}
	p, err := s.Stop()
	if err != nil {
		return err
	}
	keep(p)
	return nil
}

// recordCollectEvery is how often a recording collects what it sampled.
const recordCollectEvery = 10 * time.Second

// recordFormat picks the output format: the flag, else the extension of
// the -o file (svg on stdout). An extension it does not know is an error.
func recordFormat(flagValue, out string) (string, error) {
	switch f := strings.ToLower(flagValue); f {
	case "svg", "folded", "pprof", "perf-script":
		return f, nil
	case "":
	default:
		return "", fmt.Errorf("%w: unknown --format %q (want svg, folded, pprof or perf-script)", errUsage, flagValue)
	}
	if out == "" || out == "-" {
		return "svg", nil
	}
	name := strings.ToLower(out)
	for _, f := range []struct{ format, ext string }{
		{"svg", ".svg"},
		{"folded", ".folded"}, {"folded", ".txt"},
		{"pprof", ".pb.gz"}, {"pprof", ".pb"}, {"pprof", ".pprof"},
		{"perf-script", ".perf"},
	} {
		if strings.HasSuffix(name, f.ext) {
			return f.format, nil
		}
	}
	return "", fmt.Errorf("%w: -o %s: unknown extension; want .svg (flame graph), .folded or .txt (folded stacks), .pb.gz, .pb or .pprof (pprof), .perf (perf script text), or give --format svg, folded, pprof or perf-script", errUsage, out)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
