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

// runLatencyRecording is where scope --latency will record off-CPU blocks
// as flamekit record --off-cpu does, once record has --off-cpu; until
// then a command line without one FILE is a usage error.
func (f *scopeFlags) runLatencyRecording(args []string, _ io.Reader, _, _ io.Writer) error {
	return fmt.Errorf("%w: --latency takes one perf script FILE with offcpu-time samples (and --title); got %q", errUsage, args)
}
