package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/scope"
)

// scopeFlags is scope's own command line; a recording's flags are
// record's (see splitScopeArgs).
type scopeFlags struct {
	out, format string
	rows        int
	rangeArg    string
	vsArg       string
	idle        bool
	rng, vs     *scope.Range
	// --latency: the off-CPU blocks' heat map and histogram.
	latency bool
	step    time.Duration
	byFunc  bool
}

// scopeFlagNames are the flags scope takes for itself from a command line
// that may hold record's flags too, with whether each takes a value.
// --include-idle is both scope's and record's: it stays for record too;
// -h shows scope's help.
var scopeFlagNames = map[string]bool{"o": true, "rows": true, "format": true, "range": true, "vs": true, "include-idle": false, "latency": false, "step": true, "by-func": false, "h": false, "help": false}

const scopeSynopsis = "[FILE | record flags [-- COMMAND ARGS...]] [-o FILE] [--rows N] [--format html|json|folded|svg|pprof] [--range START,END [--vs START,END]] [--include-idle] [flamegraph.pl flags]\n       flamekit scope --latency [FILE | record flags [-- COMMAND ARGS...]] [-o FILE] [--format html|json|hist] [--step DUR] [--by-func] [--title TEXT]"

func (f *scopeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.out, "o", "", "output `FILE` (default stdout); its extension picks the format")
	fs.StringVar(&f.format, "format", "", "output format: html (the page), json (FlameScope's heat map), or, of --range, folded, svg or pprof (default from -o's extension: .html, .json, .folded or .txt, .svg, .pb.gz, .pb or .pprof; on stdout html, or svg with --range)")
	fs.IntVar(&f.rows, "rows", scope.DefaultRows, "heat map rows: offsets a second is cut into, 10 to 100 (the page offers the row counts that divide 100, or this one)")
	fs.StringVar(&f.rangeArg, "range", "", "write the flame graph of this range: `START,END` in seconds from the profile's first whole second (as the page's URL has it)")
	fs.StringVar(&f.vsArg, "vs", "", "with --range: the differential flame graph from --range's counts to this range's, `START,END` (the page's range= and vs=)")
	fs.BoolVar(&f.idle, "include-idle", false, "count the idle CPUs' samples (and keep them when recording)")
	fs.BoolVar(&f.latency, "latency", false, "show off-CPU blocks (offcpu-time samples of perf script text, or a recording made with --off-cpu): a heat map of time by block duration in log2 buckets (html, json) or bcc's log2 histogram (--format hist)")
	fs.DurationVar(&f.step, "step", 0, "with --latency: the heat map's column width (default: 1, 2 or 5 times a power of ten, from 1ms, for at most 60 columns)")
	fs.BoolVar(&f.byFunc, "by-func", false, "with --latency: a histogram per function too (the leaf-most user function of the blocked stack)")
}

// check resolves the format and parses the ranges.
func (f *scopeFlags) check() error {
	if f.rows < scope.MinRows || f.rows > scope.MaxRows {
		return fmt.Errorf("%w: --rows %d: want %d to %d", errUsage, f.rows, scope.MinRows, scope.MaxRows)
	}
	for _, r := range []struct {
		arg  string
		dest **scope.Range
		name string
	}{{f.rangeArg, &f.rng, "range"}, {f.vsArg, &f.vs, "vs"}} {
		if r.arg == "" {
			continue
		}
		v, err := scope.ParseRange(r.arg)
		if err != nil {
			return fmt.Errorf("%w: --%s: %v", errUsage, r.name, err)
		}
		*r.dest = &v
	}
	if f.vs != nil && f.rng == nil {
		return fmt.Errorf("%w: --vs needs --range", errUsage)
	}
	format, err := scopeFormat(f.format, f.out, f.rng != nil)
	if err != nil {
		return err
	}
	f.format = format
	switch {
	case f.rng != nil && (format == "html" || format == "json"):
		return fmt.Errorf("%w: --range writes folded, svg or pprof, not %s", errUsage, format)
	case f.rng == nil && format != "html" && format != "json":
		return fmt.Errorf("%w: --format %s needs --range", errUsage, format)
	case f.vs != nil && format == "pprof":
		return fmt.Errorf("%w: a differential profile (--vs) is written folded or svg, not pprof", errUsage)
	}
	return nil
}

// scopeFormat picks the output format: the flag, else the extension of
// the -o file; on stdout html, or svg for a range.
func scopeFormat(flagValue, out string, isRange bool) (string, error) {
	switch f := strings.ToLower(flagValue); f {
	case "html", "json", "folded", "svg", "pprof":
		return f, nil
	case "":
	default:
		return "", fmt.Errorf("%w: unknown --format %q (want html, json, folded, svg or pprof)", errUsage, flagValue)
	}
	if out == "" || out == "-" {
		if isRange {
			return "svg", nil
		}
		return "html", nil
	}
	name := strings.ToLower(out)
	for _, f := range []struct{ format, ext string }{
		{"html", ".html"}, {"html", ".htm"}, {"json", ".json"}, {"svg", ".svg"},
		{"folded", ".folded"}, {"folded", ".txt"},
		{"pprof", ".pb.gz"}, {"pprof", ".pb"}, {"pprof", ".pprof"},
	} {
		if strings.HasSuffix(name, f.ext) {
			return f.format, nil
		}
	}
	return "", fmt.Errorf("%w: -o %s: unknown extension; want .html (the page), .json (the heat map), .folded or .txt, .svg, .pb.gz, .pb or .pprof (a --range), or give --format", errUsage, out)
}

// splitScopeArgs takes scope's own flags (scopeFlagNames) out of a
// command line, up to "--": it returns them, and the rest for the input's
// flags (the file's, or record's).
func splitScopeArgs(args []string) (own, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return own, append(rest, args[i:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takesValue, ok := scopeFlagNames[name]
		if !strings.HasPrefix(a, "-") || !ok {
			rest = append(rest, a)
			continue
		}
		own = append(own, a)
		if name == "include-idle" {
			rest = append(rest, a)
		}
		if takesValue && !hasValue && i+1 < len(args) {
			i++
			own = append(own, args[i])
		}
	}
	return own, rest
}

func runScope(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	own, rest := splitScopeArgs(args)
	fs := newFlagSet("scope", scopeSynopsis, stderr)
	var f scopeFlags
	f.register(fs)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintln(stderr, "\nWithout FILE, scope records as flamekit record does, with record's flags (see flamekit record -h), and shows the recording.")
	}
	if _, err := parseInterspersed(fs, own); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.latency {
		if err := f.checkLatency(set); err != nil {
			return err
		}
		if file, title, ok := latencyFileArgs(rest); ok {
			return f.runLatencyFile(file, title, stdin, stdout, stderr)
		}
		return f.runLatencyRecording(rest, stdin, stdout, stderr)
	}
	for _, name := range []string{"step", "by-func"} {
		if set[name] {
			return fmt.Errorf("%w: --%s needs --latency", errUsage, name)
		}
	}
	if err := f.check(); err != nil {
		return err
	}
	if file, graph, ok := scopeFileArgs(rest); ok {
		return f.runFile(file, graph, stdin, stdout, stderr)
	}
	return f.runRecording(rest, stdin, stdout, stderr)
}

// scopeFileArgs tells a command line of a FILE (and flamegraph.pl's flags)
// from a recording's: it is one when it parses with the graph's flags
// alone and names one file.
func scopeFileArgs(rest []string) (file string, graph *graphFlags, ok bool) {
	fs := flag.NewFlagSet("scope", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	graph = &graphFlags{}
	graph.register(fs)
	fs.Bool("include-idle", false, "")
	pos, err := parseInterspersed(fs, rest)
	if err != nil || len(pos) != 1 || graph.check() != nil {
		return "", nil, false
	}
	return pos[0], graph, true
}

// checkGraph rejects the graph flags the page does not apply.
func (f *scopeFlags) checkGraph(graph *graphFlags) error {
	if o := graph.opts; f.format == "html" && (o.Inverted || o.FlameChart || o.Reverse || o.SortByWeight || graph.cp || graph.nameAttrFile != "") {
		return fmt.Errorf("%w: the page draws flame graphs without --inverted, --flamechart, --reverse, --sort-by-weight, --cp and --nameattr (they apply to --range's svg)", errUsage)
	}
	return nil
}

// runFile shows a timed profile read from a file.
func (f *scopeFlags) runFile(file string, graph *graphFlags, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := f.checkGraph(graph); err != nil {
		return err
	}
	o, err := openOutput(f.out, stdout)
	if err != nil {
		return err
	}
	r, closeInput, err := openInput(file, stdin)
	if err != nil {
		return o.finish(err)
	}
	defer closeInput()
	if graph.opts.Title == "" && f.format == "html" {
		graph.opts.Title = "flamekit scope: " + displayName(file)
	}
	if err := f.writeFrom(o, r, graph, stderr); err != nil {
		return o.finish(fmt.Errorf("%s: %w", displayName(file), err))
	}
	return o.finish(nil)
}

// writeFrom reads the timed profile r holds and writes the output. The
// heat map's JSON and one range (without --vs) are read in one pass that
// keeps no profile (scope.ReadHeatMap, scope.WriteRangeFolded,
// scope.ReadRange); the page and a differential range read it whole.
func (f *scopeFlags) writeFrom(w io.Writer, r io.Reader, graph *graphFlags, stderr io.Writer) error {
	opts := scope.Options{Rows: f.rows, Idle: f.idle}
	switch {
	case f.format == "json":
		h, _, err := scope.ReadHeatMap(r, scope.ReadOptions{}, opts)
		if err != nil {
			return err
		}
		return writeHeatMapJSON(w, h)
	case f.rng != nil && f.vs == nil && f.format == "folded":
		_, err := scope.WriteRangeFolded(w, r, *f.rng, scope.ReadOptions{}, opts)
		return err
	case f.rng != nil && f.vs == nil:
		fp, _, err := scope.ReadRange(r, *f.rng, scope.ReadOptions{}, opts)
		if err != nil {
			return err
		}
		return f.writeRange(w, fp, graph, stderr)
	}
	p, _, err := scope.Read(r, scope.ReadOptions{})
	if err != nil {
		return err
	}
	return f.write(w, p, graph, stderr)
}

// write writes p in the output format.
func (f *scopeFlags) write(w io.Writer, p *scope.Profile, graph *graphFlags, stderr io.Writer) error {
	opts := scope.Options{Rows: f.rows, Idle: f.idle}
	switch f.format {
	case "json":
		h, err := p.HeatMap(opts)
		if err != nil {
			return err
		}
		return writeHeatMapJSON(w, h)
	case "html":
		// The page shows the row counts that divide its index's: 100's
		// when --rows divides 100.
		if 100%f.rows == 0 {
			opts.Rows = 100
		}
		ix, err := scope.NewIndex(p, opts)
		if err != nil {
			return err
		}
		page := scope.PageOptions{Rows: f.rows, Title: graph.opts.Title, Graph: graph.opts}
		page.Graph.Title = ""
		return scope.WritePage(w, ix, page)
	}
	fp, err := p.Range(*f.rng, opts)
	if err != nil {
		return err
	}
	if f.vs != nil {
		after, err := p.Range(*f.vs, opts)
		if err != nil {
			return err
		}
		fp = flamegraph.Diff(fp, after, flamegraph.DiffOptions{})
	}
	return f.writeRange(w, fp, graph, stderr)
}

// writeRange writes a range's profile (or a differential one) as svg,
// pprof or folded stacks.
func (f *scopeFlags) writeRange(w io.Writer, fp *flamegraph.Profile, graph *graphFlags, stderr io.Writer) error {
	switch f.format {
	case "svg":
		if graph.opts.Title == "" {
			graph.opts.Title = "Flame Graph: " + f.rng.String() + " s"
			if f.vs != nil {
				graph.opts.Title = "Differential: " + f.rng.String() + " s to " + f.vs.String() + " s"
			}
		}
		return graph.render(w, stderr, fp)
	case "pprof":
		return writeFoldedPprof(w, fp)
	}
	_, err := fp.WriteTo(w)
	return err
}

// writeHeatMapJSON writes a heat map as FlameScope's heat-map API returns
// it.
func writeHeatMapJSON(w io.Writer, h *scope.HeatMap) error {
	return json.NewEncoder(w).Encode(h)
}
