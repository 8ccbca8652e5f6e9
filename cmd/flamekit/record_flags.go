package main

import (
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/flamekit/flamekit/profile"
)

// recordFlags is record's command line.
type recordFlags struct {
	all                  bool
	pids, cgroup         string
	freq, period         uint64
	dur                  time.Duration
	event                string
	userOnly, kernelOnly bool
	idle, perThread      bool
	inlines              bool
	backend              string
	unwind               string
	out, format          string
	keepEmpty            bool
	offCPU               offCPUFlags
	set                  map[string]bool // the flags the command line gave
	graph                graphFlags
	command              []string // after "--"
}

// parseRecordFlags parses record's command line and checks the flags that
// need no system call: the format, the backend and the graph's options.
// The format is resolved (from -o's extension when not given).
func parseRecordFlags(args []string, stderr io.Writer) (*recordFlags, error) {
	fs := newFlagSet("record", "[-a | -p PID[,PID...] | --cgroup PATH | -- COMMAND ARGS...] [-F HZ] [-d DURATION] [-e EVENT] [-o FILE] [flags]", stderr)
	f := &recordFlags{}
	fs.BoolVar(&f.all, "a", false, "profile the whole system (the default without -p, --cgroup or a command)")
	fs.StringVar(&f.pids, "p", "", "profile these processes: `PID[,PID...]`")
	fs.StringVar(&f.cgroup, "cgroup", "", "profile a cgroup v2 and its descendants: `PATH` (absolute or below the cgroup2 mount)")
	fs.Uint64Var(&f.freq, "F", 99, "sampling frequency in Hz")
	fs.Uint64Var(&f.period, "c", 0, "sample every `N` events instead of at a frequency")
	fs.DurationVar(&f.dur, "d", 10*time.Second, "how long to record, unless a command is given (Ctrl-C or SIGTERM stops early)")
	fs.StringVar(&f.event, "e", "cpu-clock", "event to sample on, as perf names it: cpu-clock, page-faults, context-switches, cycles:u, L1-dcache-load-misses, software/config=2/, cpu/event=0x3c,umask=0x0/, ...")
	fs.BoolVar(&f.userOnly, "user-only", false, "user stacks only")
	fs.BoolVar(&f.kernelOnly, "kernel-only", false, "kernel stacks only")
	fs.BoolVar(&f.idle, "include-idle", false, "keep the idle task's samples")
	fs.BoolVar(&f.perThread, "per-thread", false, "keep threads apart (folded: comm-PID/TID)")
	fs.BoolVar(&f.inlines, "inlines", false, "add inlined frames (_[i]) from DWARF and Go's pclntab (costs memory and time at the end)")
	fs.StringVar(&f.backend, "backend", "auto", "sampling backend: auto (bpf when allowed, else perf), bpf or perf")
	fs.StringVar(&f.unwind, "unwind", "auto", "how user stacks are walked: auto (call frame information where files have it, frame pointers elsewhere), fp (frame pointers only) or cfi")
	fs.StringVar(&f.out, "o", "", "output `FILE` (default stdout); its extension picks the format")
	fs.StringVar(&f.format, "format", "", "output format: svg, folded, pprof or perf-script (every sample with its time, as perf script prints it; default from -o's extension: .svg, .folded or .txt, .pb.gz, .pb or .pprof, .perf; svg on stdout)")
	fs.BoolVar(&f.keepEmpty, "keep-empty", false, "write the profile even when the target produced no samples (without it that is an error and nothing is written)")
	f.offCPU.register(fs)
	f.graph.register(fs)

	// Everything after "--" is the command.
	for i, a := range args {
		if a == "--" {
			args, f.command = args[:i], args[i+1:]
			break
		}
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%w: unexpected %q (a command goes after --)", errUsage, rest[0])
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	f.offCPU.graphDefaults(&f.graph, f.set)
	if err := f.graph.check(); err != nil {
		return nil, err
	}
	if f.format, err = recordFormat(f.format, f.out); err != nil {
		return nil, err
	}
	return f, nil
}

// sessionOptions returns the options of the profiling session the flags
// ask for, and the command to run when one is given. A process that does
// not exist, more than one target and a command that cannot run are
// errors.
func (f *recordFlags) sessionOptions(stdin io.Reader, stdout, stderr io.Writer) (profile.Options, *exec.Cmd, error) {
	b, err := profile.ParseBackend(f.backend)
	if err != nil {
		return profile.Options{}, nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	u, err := profile.ParseUnwind(f.unwind)
	if err != nil {
		return profile.Options{}, nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	opts := profile.Options{
		Event: f.event, Frequency: f.freq, Period: f.period, Cgroup: f.cgroup,
		UserOnly: f.userOnly, KernelOnly: f.kernelOnly, IncludeIdle: f.idle,
		PerThread: f.perThread, Backend: b, Unwind: u, Inlines: f.inlines,
		Timed: f.format == "perf-script",
	}
	if f.period > 0 {
		opts.Frequency = 0
	}
	if err := f.offCPU.apply(&opts, f.set); err != nil {
		return profile.Options{}, nil, err
	}
	if opts.PIDs, err = parsePIDs(f.pids); err != nil {
		return profile.Options{}, nil, err
	}
	targets := 0
	for _, set := range []bool{f.all, f.pids != "", f.cgroup != "", len(f.command) > 0} {
		if set {
			targets++
		}
	}
	if targets > 1 {
		return profile.Options{}, nil, fmt.Errorf("%w: give one target: -a, -p, --cgroup or -- COMMAND", errUsage)
	}
	if len(f.command) == 0 {
		return opts, nil, nil
	}
	// A command that cannot run fails now, not after the sampler is set up.
	if _, err := exec.LookPath(f.command[0]); err != nil {
		return profile.Options{}, nil, err
	}
	cmd := exec.Command(f.command[0], f.command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if f.out == "" || f.out == "-" {
		cmd.Stdout = stderr // stdout carries the profile
	}
	opts.Command = cmd
	return opts, cmd, nil
}

// parsePIDs parses -p's comma-separated PIDs, each of a process that
// exists.
func parsePIDs(list string) ([]int, error) {
	if list == "" {
		return nil, nil
	}
	var pids []int
	for _, f := range strings.Split(list, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("%w: bad PID %q in -p", errUsage, f)
		}
		if err := checkPID(pid); err != nil {
			return nil, err
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
