package main

import (
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
	format := fs.String("format", "", "output format: svg, folded or pprof (default from -o's extension, else svg)")
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
	if len(command) > 0 {
		cmd := exec.Command(command[0], command[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
		if *out == "" {
			cmd.Stdout = stderr // stdout carries the profile
		}
		opts.Command = cmd
	}

	// Ctrl-C and SIGTERM end the recording, and the output is still
	// written. (Notify also re-enables a SIGINT that a background shell
	// made ignored.)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := profile.Start(ctx, opts)
	if err != nil {
		return err
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
	if err := recordUntil(ctx, s, *dur, len(command) > 0, stderr, keep); err != nil {
		return err
	}
	if total == 0 {
		fmt.Fprintf(stderr, "flamekit record: no samples (%s backend, lost %d)\n", s.Backend(), lost)
	}
	w, closeOut, err := createOutput(*out, stdout)
	if err != nil {
		return err
	}
	var werr error
	switch outFormat {
	case "svg":
		if fg.Title == "" {
			fg.Title = fmt.Sprintf("%s profile (%d samples)", *event, total)
		}
		werr = flamegraph.Render(w, folded, fg)
		if total == 0 && errors.Is(werr, flamegraph.ErrEmpty) {
			werr = nil // said above; the SVG says so too
		}
	case "pprof":
		werr = profile.Merge(parts...).WritePprof(w)
	case "folded":
		_, werr = folded.WriteTo(w)
	}
	return errors.Join(werr, closeOut())
}

// recordUntil waits until the duration passes, the command exits, or a
// signal comes, showing progress on a terminal, and hands what it collects
// to keep: every recordCollectEvery, and at the end.
func recordUntil(ctx context.Context, s *profile.Session, d time.Duration, untilExit bool, stderr io.Writer, keep func(*profile.Profile)) error {
	start := time.Now()
	var deadline <-chan time.Time
	if !untilExit {
		deadline = time.After(d)
	}
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
		case <-ctx.Done():
			break wait
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

// recordFormat picks the output format: the flag, else the extension.
func recordFormat(flagValue, out string) (string, error) {
	switch f := strings.ToLower(flagValue); f {
	case "svg", "folded", "pprof":
		return f, nil
	case "":
	default:
		return "", fmt.Errorf("%w: unknown --format %q (want svg, folded or pprof)", errUsage, flagValue)
	}
	switch {
	case strings.HasSuffix(out, ".folded"), strings.HasSuffix(out, ".txt"):
		return "folded", nil
	case strings.HasSuffix(out, ".pb.gz"), strings.HasSuffix(out, ".pb"), strings.HasSuffix(out, ".pprof"):
		return "pprof", nil
	}
	return "svg", nil
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
