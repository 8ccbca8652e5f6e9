// Command flamekit turns profiles into flame graphs.
//
// Usage:
//
//	flamekit record   [flags] [-- CMD...]  profile CPU (or another event) → SVG, folded, pprof or perf script text
//	flamekit collapse [flags] [FILE...]    other tools' output → folded stacks
//	flamekit render   [flags] [FILE...]    folded stacks (or any collapse input) → SVG
//	flamekit diff     [flags] BEFORE AFTER two profiles → differential SVG
//	flamekit symbolize (-e BIN | -p PID | --kernel) [ADDR...]
//	flamekit scope    [FILE | record flags] [-o out.html] [--range S,E [--vs S,E]]  timed profile → heat map page
//	flamekit agent    --pyroscope URL [--every 15s] [--labels k=v,...] [--out DIR] | --out DIR  continuous profiling
//	flamekit stat     [-e EVENTS] [-a | -p PID | -C CPUS | --cgroup PATH] [-I MS] [-A] [-x SEP | -j] [-r N] [--] CMD...
//
// Run under the name llvm-symbolizer (a link to it), flamekit acts as
// "flamekit symbolize", so tools that run llvm-symbolizer can use it.
//
// Run "flamekit COMMAND -h" for a command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// command is one flamekit subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands = []command{
	{"record", "profile the system, processes, a cgroup or a command into a flame graph, folded stacks, pprof or perf script text", runRecord},
	{"collapse", "fold other tools' output (perf script, pprof, bpftrace, folded) into folded stacks", runCollapse},
	{"render", "render folded stacks (or anything collapse reads) as an interactive SVG flame graph", runRender},
	{"diff", "render a differential flame graph of two profiles", runDiff},
	{"symbolize", "name addresses of a binary, a process or the kernel (llvm-symbolizer compatible)", runSymbolize},
	{"scope", "a timed profile's sub-second heat map and the flame graph of any range of it, in one HTML page (FlameScope's view)", runScope},
	{"agent", "profile the system continuously: every interval, one profile per service pushed to Grafana Pyroscope (queued while it is down) or rotated pprof files", runAgent},
	{"stat", "count events of a command, processes, CPUs or a cgroup as perf stat does (its table, CSV or JSON)", runStat},
}

// errUsage marks errors caused by the command line, which exit with status 2.
var errUsage = errors.New("usage")

// exitStatus is an error that sets the exit status and says nothing more:
// what went wrong was said already, on stderr or by a profiled command.
type exitStatus int

func (e exitStatus) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// report prints err once on stderr as "flamekit CMD: message". A message
// that starts with the command's name already, as the symbolize package's
// "symbolize: ..." does, does not repeat it.
func report(stderr io.Writer, cmd string, err error) {
	msg := err.Error()
	if strings.HasPrefix(msg, cmd+": ") {
		fmt.Fprintf(stderr, "flamekit %s\n", msg)
		return
	}
	fmt.Fprintf(stderr, "flamekit %s: %s\n", cmd, msg)
}

func main() {
	args := os.Args[1:]
	if filepath.Base(os.Args[0]) == "llvm-symbolizer" {
		// Installed under that name (a link), flamekit stands in for
		// llvm-symbolizer, e.g. for pprof's -tools.
		args = append([]string{"symbolize"}, args...)
	}
	os.Exit(run(args, os.Stdin, os.Stdout, os.Stderr))
}

// run executes a command line and returns the process exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdin, stdout, stderr)
		var status exitStatus
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &status):
			return int(status)
		case errors.Is(err, errUsage):
			report(stderr, c.name, err)
			return 2
		default:
			report(stderr, c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "flamekit: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "flamekit: profiles to flame graphs")
	fmt.Fprintln(w, "\nUsage: flamekit COMMAND [flags] [args]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'flamekit COMMAND -h' for a command's flags.")
}

// newFlagSet returns a FlagSet whose errors come back to the caller and whose
// usage text goes to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("flamekit "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: flamekit %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments ("render in.txt -o out.svg"); "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag, or after "--".
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
