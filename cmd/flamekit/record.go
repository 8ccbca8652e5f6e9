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
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/profile"
)

func runRecord(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("record", "[-a | -p PID[,PID...] | --cgroup PATH | -- COMMAND ARGS...] [-F HZ] [-d DURATION] [-e EVENT] [-o FILE] [flags]", stderr)
	all := fs.Bool("a", false, "profile the whole system (the default without -p, --cgroup or a command)")
	pids := fs.String("p", "", "profile these processes: `PID[,PID...]`")
	cgroup := fs.String("cgroup", "", "profile a cgroup v2 and its descendants: `PATH` (absolute or below the cgroup2 mount)")
	freq := fs.Uint64("F", 99, "sampling frequency in Hz")
	period := fs.Uint64("c", 0, "sample every `N` events instead of at a frequency")
	dur := fs.Duration("d", 10*time.Second, "how long to record, unless a command is given (Ctrl-C or SIGTERM stops early)")
	event := fs.String("e", "cpu-clock", "event to sample on: cpu-clock, task-clock, page-faults, context-switches, ...")
	userOnly := fs.Bool("user-only", false, "user stacks only")
	kernelOnly := fs.Bool("kernel-only", false, "kernel stacks only")
	idle := fs.Bool("include-idle", false, "keep the idle task's samples")
	perThread := fs.Bool("per-thread", false, "keep threads apart (folded: comm-PID/TID)")
	inlines := fs.Bool("inlines", false, "add inlined frames (_[i]) from DWARF and Go's pclntab (costs memory and time at the end)")
	backend := fs.String("backend", "auto", "sampling backend: auto (bpf when allowed, else perf), bpf or perf")
	out := fs.String("o", "", "output `FILE` (default stdout); its extension picks the format")
	format := fs.String("format", "", "output format: svg, folded or pprof (default from -o's extension: .svg, .folded or .txt, .pb.gz, .pb or .pprof; svg on stdout)")
	keepEmpty := fs.Bool("keep-empty", false, "write the profile even when the target produced no samples (without it that is an error and nothing is written)")
	var fg flamegraph.Options
	fg.RegisterFlags(fs)

	// Everything after "--" is the command.
	var command []string
	for i, a := range args {
		if a == "--" {
			args, command = args[:i], args[i+1:]
			break
		}
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected %q (a command goes after --)", errUsage, rest[0])
	}
	if err := fg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	outFormat, err := recordFormat(*format, *out)
	if err != nil {
		return err
	}
	b, err := profile.ParseBackend(*backend)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	opts := profile.Options{
		Event: *event, Frequency: *freq, Period: *period, Cgroup: *cgroup,
		UserOnly: *userOnly, KernelOnly: *kernelOnly, IncludeIdle: *idle,
		PerThread: *perThread, Backend: b, Inlines: *inlines,
	}
	if *period > 0 {
		opts.Frequency = 0
	}
	if *pids != "" {
		for _, f := range strings.Split(*pids, ",") {
			pid, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || pid <= 0 {
				return fmt.Errorf("%w: bad PID %q in -p", errUsage, f)
			}
			if err := checkPID(pid); err != nil {
				return err
			}
			opts.PIDs = append(opts.PIDs, pid)
		}
	}
	targets := 0
	for _, set := range []bool{*all, *pids != "", *cgroup != "", len(command) > 0} {
		if set {
			targets++
		}
	}
	if targets > 1 {
		return fmt.Errorf("%w: give one target: -a, -p, --cgroup or -- COMMAND", errUsage)
	}
	var cmd *exec.Cmd
	if len(command) > 0 {
		// A command that cannot run fails now, not after the sampler is set up.
		if _, err := exec.LookPath(command[0]); err != nil {
			return err
		}
		cmd = exec.Command(command[0], command[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
		if *out == "" || *out == "-" {
			cmd.Stdout = stderr // stdout carries the profile
		}
		opts.Command = cmd
	}
	// The output is checked (and its temporary file made) before sampling:
	// a bad -o fails now, not after the recording.
	o, err := openOutput(*out, stdout)
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
	start := time.Now()
	s, err := profile.Start(context.Background(), opts)
	if err != nil {
		return o.finish(err)
	}
	defer s.Close()
	// A pprof profile keeps every sample with its pid; folded stacks and
	// flame graphs need only the merged stacks, so each collection is
	// folded at once and memory stays bounded by the distinct stacks.
	var parts []*profile.Profile
	folded := &flamegraph.Profile{}
	var total, lost uint64
	keep := func(p *profile.Profile) {
		total += p.Total()
		lost += p.Lost
		if outFormat == "pprof" {
			parts = append(parts, p)
			return
		}
		folded = flamegraph.Merge(folded, p.Folded(profile.FoldOptions{TID: *perThread})).Folded()
	}
	if err := recordUntil(s, *dur, cmd, sigs, stderr, keep); err != nil {
		return o.finish(err)
	}
	status := 0 // the command's exit status, which record exits with
	if cmd != nil {
		status = commandStatus(cmd.ProcessState)
	}
	if total == 0 && !*keepEmpty {
		o.finish(errNoSamples) // removes the temporary file
		fmt.Fprintf(stderr, "flamekit record: no samples from %s in %.1fs (%s backend, %d lost); nothing written (--keep-empty writes an empty profile)\n",
			recordTarget(*pids, *cgroup, command), time.Since(start).Seconds(), s.Backend(), lost)
		return exitStatus(cmp.Or(status, 1))
	}
	var werr error
	switch outFormat {
	case "svg":
		if fg.Title == "" {
			fg.Title = fmt.Sprintf("%s profile (%d samples)", *event, total)
		}
		werr = render(o, stderr, folded, fg)
		if total == 0 && errors.Is(werr, flamegraph.ErrEmpty) {
			werr = nil // --keep-empty: the SVG says there are no samples
		}
	case "pprof":
		werr = profile.Merge(parts...).WritePprof(o)
	case "folded":
		_, werr = folded.WriteTo(o)
	}
	if err := o.finish(werr); err != nil {
		return err
	}
	if status != 0 {
		return exitStatus(status)
	}
	return nil
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
	case "svg", "folded", "pprof":
		return f, nil
	case "":
	default:
		return "", fmt.Errorf("%w: unknown --format %q (want svg, folded or pprof)", errUsage, flagValue)
	}
	if out == "" || out == "-" {
		return "svg", nil
	}
	name := strings.ToLower(out)
	for _, f := range []struct{ format, ext string }{
		{"svg", ".svg"},
		{"folded", ".folded"}, {"folded", ".txt"},
		{"pprof", ".pb.gz"}, {"pprof", ".pb"}, {"pprof", ".pprof"},
	} {
		if strings.HasSuffix(name, f.ext) {
			return f.format, nil
		}
	}
	return "", fmt.Errorf("%w: -o %s: unknown extension; want .svg (flame graph), .folded or .txt (folded stacks), .pb.gz, .pb or .pprof (pprof), or give --format svg, folded or pprof", errUsage, out)
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
