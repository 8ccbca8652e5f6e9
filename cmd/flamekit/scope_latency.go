package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/flamekit/flamekit/scope"
)

// latencyFormat picks the output format of scope --latency: the flag,
// else the extension of the -o file; html on stdout.
func latencyFormat(flagValue, out string) (string, error) {
	switch f := strings.ToLower(flagValue); f {
	case "html", "json", "hist":
		return f, nil
	case "":
	default:
		return "", fmt.Errorf("%w: --latency: unknown --format %q (want html, json or hist)", errUsage, flagValue)
	}
	name := strings.ToLower(out)
	switch {
	case out == "" || out == "-" || strings.HasSuffix(name, ".html") || strings.HasSuffix(name, ".htm"):
		return "html", nil
	case strings.HasSuffix(name, ".json"):
		return "json", nil
	case strings.HasSuffix(name, ".txt") || strings.HasSuffix(name, ".hist"):
		return "hist", nil
	}
	return "", fmt.Errorf("%w: -o %s: unknown extension; with --latency want .html (the page), .json (the heat map), .txt or .hist (the histogram), or give --format", errUsage, out)
}

// checkLatency checks scope --latency's flags (set names those given)
// and resolves its format.
func (f *scopeFlags) checkLatency(set map[string]bool) error {
	for _, name := range []string{"rows", "range", "vs", "include-idle"} {
		if set[name] {
			return fmt.Errorf("%w: --%s does not apply to --latency (a heat map of off-CPU blocks by duration)", errUsage, name)
		}
	}
	if f.byFunc && f.format == "json" {
		return fmt.Errorf("%w: --by-func applies to --format html and hist", errUsage)
	}
	if f.step < 0 {
		return fmt.Errorf("%w: --step %v: want a positive duration", errUsage, f.step)
	}
	format, err := latencyFormat(f.format, f.out)
	if err != nil {
		return err
	}
	f.format = format
	return nil
}

// latencyFileArgs tells a command line of a FILE (with --title) from a
// recording's: it is one when it parses with --title alone and names one
// file.
func latencyFileArgs(rest []string) (file, title string, ok bool) {
	fs := flag.NewFlagSet("scope", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&title, "title", "", "")
	pos, err := parseInterspersed(fs, rest)
	if err != nil || len(pos) != 1 {
		return "", "", false
	}
	return pos[0], title, true
}

// runLatencyFile shows the off-CPU blocks of a perf script file.
func (f *scopeFlags) runLatencyFile(file, title string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := openOutput(f.out, stdout)
	if err != nil {
		return err
	}
	r, closeInput, err := openInput(file, stdin)
	if err != nil {
		return o.finish(err)
	}
	defer closeInput()
	b, err := scope.ReadOffCPU(r)
	if err != nil {
		return o.finish(fmt.Errorf("%s: %w", displayName(file), err))
	}
	if title == "" {
		title = "flamekit scope: off-CPU latency of " + displayName(file)
	}
	if err := f.writeLatency(o, b, title, stderr); err != nil {
		return o.finish(fmt.Errorf("%s: %w", displayName(file), err))
	}
	return o.finish(nil)
}

// writeLatency writes b's latency heat map or histogram in the output
// format, and says on stderr what it leaves out.
func (f *scopeFlags) writeLatency(w io.Writer, b *scope.Blocks, title string, stderr io.Writer) error {
	if b.Untimed > 0 {
		fmt.Fprintf(stderr, "flamekit scope: %d untimed %s samples (%v off CPU; perf's sums of blocks shorter than its --off-cpu-thresh) are not shown\n", b.Untimed, scope.OffCPUEvent, b.UntimedTotal)
	}
	opts := scope.LatencyOptions{Step: f.step}
	switch f.format {
	case "hist":
		return b.WriteHistograms(w, f.byFunc)
	case "json":
		m, err := b.LatencyMap(opts)
		if err != nil {
			return err
		}
		return json.NewEncoder(w).Encode(m)
	}
	return scope.WriteLatencyPage(w, b, scope.LatencyPageOptions{Title: title, Map: opts, ByFunc: f.byFunc})
}

// runLatencyRecording records the off-CPU blocks of record's target as
// flamekit record --off-cpu does (--off-cpu is implied; --wall records
// them too, and its on-CPU samples are left out), each with its time, and
// shows them.
func (f *scopeFlags) runLatencyRecording(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	rf, err := parseRecordFlags(latencyRecordArgs(args), stderr)
	if err != nil {
		return err
	}
	o, err := openOutput(f.out, stdout)
	if err != nil {
		return err
	}
	rec, cmd, err := recordTimed(rf, stdin, stdout, stderr)
	if err != nil {
		return o.finish(err)
	}
	target := recordTarget(rf.pids, rf.cgroup, rf.command)
	b, err := scope.BlocksFromRecording(rec)
	if err != nil {
		return o.finish(fmt.Errorf("no off-CPU blocks from %s: %w", target, err))
	}
	title := rf.graph.opts.Title
	if !rf.set["title"] {
		title = "flamekit scope: off-CPU latency of " + target
	}
	if err := o.finish(f.writeLatency(o, b, title, stderr)); err != nil {
		return err
	}
	sayTimedLost(stderr, rec)
	return commandExit(cmd)
}

// latencyRecordArgs adds --off-cpu to record's flags, up to "--", unless
// they give --off-cpu, --wakeups or --wall already.
func latencyRecordArgs(args []string) []string {
	for _, a := range args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "off-cpu" || name == "wakeups" || name == "wall") {
			return args
		}
	}
	return append([]string{"--off-cpu"}, args...)
}
