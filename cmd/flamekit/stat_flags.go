package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flamekit/flamekit/pmc"
)

// statFlags is stat's command line.
type statFlags struct {
	events     string
	all        bool
	pids, cpus string
	cgroup     string
	intervalMS int
	interval   time.Duration // -I's, 0 without
	perCPU     bool
	sep        string // -x's; "" for the table
	json       bool
	metrics    string
	repeat     int
	out        string
	command    []string
	groups     []pmc.Group    // the events parsed
	set        *pmc.MetricSet // --metrics's
	target     pmc.Target     // with systemTarget, from resolveTarget
	pidList    []int          // -p's
}

// statDefaultEvents is perf stat's default event list; counting CPUs
// (-a, -C), perf counts cpu-clock for task-clock.
const (
	statDefaultEvents    = "task-clock,context-switches,cpu-migrations,page-faults,cycles,instructions,branches,branch-misses"
	statDefaultCPUEvents = "cpu-clock,context-switches,cpu-migrations,page-faults,cycles,instructions,branches,branch-misses"
)

// statSynopsis is stat's usage line.
const statSynopsis = "[-e EVENTS] [-a | -p PID[,PID...] | -C CPUS | --cgroup PATH] [-I MS] [-A] [-x SEP | -j] [--metrics pmcarch|cpucache|tlbstat] [-r N] [-o FILE] [[--] COMMAND ARGS...]"

// statValueFlags are the one-letter flags that take a value, which perf
// lets one write glued to the flag ("-x,", "-I100", "-etask-clock").
const statValueFlags = "eIprxCo"

// parseStatFlags parses stat's command line: flags, then the command (after
// "--" or from the first argument that is not a flag, as perf takes it).
// Bad flags, events and combinations are usage errors.
func parseStatFlags(args []string, stderr io.Writer) (*statFlags, error) {
	fs := newFlagSet("stat", statSynopsis, stderr)
	f := &statFlags{}
	fs.StringVar(&f.events, "e", "", "events to count, as perf names them: `EVENTS` separated by commas, {a,b} counted as a group (default perf stat's: "+statDefaultEvents+", with cpu-clock for task-clock on CPUs)")
	fs.BoolVar(&f.all, "a", false, "count the whole system, every CPU")
	fs.StringVar(&f.pids, "p", "", "count every thread of these processes: `PID[,PID...]`")
	fs.StringVar(&f.cpus, "C", "", "count these CPUs: `CPUS` as 0-3,5")
	fs.StringVar(&f.cgroup, "cgroup", "", "count the tasks of a cgroup v2 and its descendants: its directory `PATH` (/sys/fs/cgroup/...)")
	fs.IntVar(&f.intervalMS, "I", 0, "print the counts of every `MS` milliseconds (at least 10)")
	fs.BoolVar(&f.perCPU, "A", false, "a row per CPU (with -a, -C or --cgroup)")
	fs.StringVar(&f.sep, "x", "", "print perf stat's CSV, fields separated by `SEP`")
	fs.BoolVar(&f.json, "j", false, "print perf stat's JSON lines")
	fs.StringVar(&f.metrics, "metrics", "", "count a tool's events and print its `COLUMNS`: pmcarch, cpucache or tlbstat")
	fs.IntVar(&f.repeat, "r", 1, "run the command `N` times and print the mean and the variation of each count")
	fs.StringVar(&f.out, "o", "", "write the counts to `FILE` (default stderr, as perf stat)")
	if err := fs.Parse(splitGluedFlags(args)); err != nil {
		return nil, usageOr(err)
	}
	f.command = fs.Args()
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

// splitGluedFlags splits a value glued to a one-letter flag ("-x,",
// "-I100") from it, up to the command.
func splitGluedFlags(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[1] != '-' && strings.IndexByte(statValueFlags, a[1]) >= 0 && a[2] != '=' {
			out = append(out, a[:2], a[2:])
			continue
		}
		out = append(out, a)
		name := strings.TrimLeft(a, "-")
		if len(name) == 1 && strings.Contains(statValueFlags, name) || name == "cgroup" || name == "metrics" {
			if i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		}
	}
	return out
}

// check checks the flags that need no system call and parses the events.
func (f *statFlags) check() error {
	targets := 0
	for _, set := range []bool{f.all, f.pids != "", f.cpus != "", f.cgroup != ""} {
		if set {
			targets++
		}
	}
	switch {
	case targets > 1:
		return fmt.Errorf("%w: give one of -a, -p, -C and --cgroup", errUsage)
	case targets == 0 && len(f.command) == 0:
		return fmt.Errorf("%w: nothing to count: give a command, -a, -p, -C or --cgroup", errUsage)
	case f.perCPU && !f.all && f.cpus == "" && f.cgroup == "":
		return fmt.Errorf("%w: -A breaks counts down per CPU: it needs -a, -C or --cgroup", errUsage)
	case f.sep != "" && f.json:
		return fmt.Errorf("%w: give -x or -j, not both", errUsage)
	case f.repeat < 1:
		return fmt.Errorf("%w: -r %d: want at least 1 run", errUsage, f.repeat)
	case f.repeat > 1 && (len(f.command) == 0 || targets > 0):
		return fmt.Errorf("%w: -r repeats a command: give one, without -a, -p, -C or --cgroup", errUsage)
	case f.repeat > 1 && f.intervalMS != 0:
		return fmt.Errorf("%w: give -r or -I, not both", errUsage)
	case f.intervalMS != 0 && f.intervalMS < 10:
		return fmt.Errorf("%w: -I %d: want at least 10 ms", errUsage, f.intervalMS)
	}
	f.interval = time.Duration(f.intervalMS) * time.Millisecond
	events := f.events
	if f.metrics != "" {
		set, err := statMetricSet(f.metrics)
		if err != nil {
			return err
		}
		f.set = set
		events = strings.Trim(set.Events+","+f.events, ",")
	}
	switch {
	case events != "":
	case f.all || f.cpus != "":
		events = statDefaultCPUEvents
	default:
		events = statDefaultEvents
	}
	var err error
	if f.groups, err = pmc.ParseEvents(events); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return nil
}

// statMetricSet returns the metric set --metrics names.
func statMetricSet(name string) (*pmc.MetricSet, error) {
	for _, s := range []*pmc.MetricSet{&pmc.PMCArch, &pmc.CPUCache, &pmc.TLBStat} {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: --metrics %q: want pmcarch, cpucache or tlbstat", errUsage, name)
}

// resolveTarget sets what the flags count other than the command (all
// CPUs, some, processes that exist or a cgroup), if they name one.
func (f *statFlags) resolveTarget() error {
	switch {
	case f.all:
		f.target = pmc.AllCPUs()
	case f.cpus != "":
		cpus, err := pmc.ParseCPUList(f.cpus)
		if err != nil {
			return fmt.Errorf("%w: -C: %w", errUsage, err)
		}
		f.target = pmc.CPUs(cpus...)
	case f.cgroup != "":
		f.target = pmc.Cgroup(f.cgroup)
	case f.pids != "":
		var err error
		if f.pidList, err = parsePIDs(f.pids); err != nil {
			return err
		}
		f.target = pmc.Processes(f.pidList...)
	}
	return nil
}

// systemTarget reports whether the flags name a target other than the
// command (which then only sets how long counting lasts).
func (f *statFlags) systemTarget() bool {
	return f.all || f.pids != "" || f.cpus != "" || f.cgroup != ""
}

// what names what is counted, as perf stat's header does.
func (f *statFlags) what() string {
	switch {
	case f.all:
		return "'system wide'"
	case f.cpus != "":
		return "'CPU(s) " + f.cpus + "'"
	case f.pids != "":
		return "process id '" + f.pids + "'"
	case f.cgroup != "":
		return "cgroup '" + f.cgroup + "'"
	}
	return "'" + strings.Join(f.command, " ") + "'"
}

// usageOr returns a flag parsing error as a usage error, and -h as it is.
func usageOr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %v", errUsage, err)
}
