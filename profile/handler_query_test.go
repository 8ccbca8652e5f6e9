package profile

import (
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
)

// handlerLimits are the options the query tests parse with, as Handler
// completes them.
var handlerLimits = HandlerOptions{DefaultDuration: DefaultHandlerDuration, MaxDuration: time.Minute}

// blocksFormat is a format the tests provide: it shows off-CPU and wall
// recordings, off-CPU by default, takes step= and title=, and keeps what
// Prepare was asked in prepared.
func blocksFormat(prepared *HandlerQuery) HandlerFormat {
	return HandlerFormat{
		ContentType: "text/plain; charset=utf-8", Extension: "blocks.txt", Timed: true,
		Modes: []Mode{ModeOffCPU, ModeWall}, Params: []string{"step"}, GraphParams: []string{"title"},
		Prepare: func(q HandlerQuery) (HandlerWriter, error) {
			if _, err := q.DurationParam("step", 0); err != nil {
				return nil, err
			}
			*prepared = q
			return func(io.Writer, *Profile) error { return nil }, nil
		},
	}
}

// TestHandlerQueryProvided parses queries of a provided format: its mode
// is implied, its recording timed, its own parameters and the flame graph
// ones it applies handed to Prepare, whose writer the request keeps.
func TestHandlerQueryProvided(t *testing.T) {
	var prepared HandlerQuery
	opts := handlerLimits
	opts.Formats = map[string]HandlerFormat{"blocks": blocksFormat(&prepared)}
	for _, c := range []struct {
		query string
		mode  Mode
	}{{"format=blocks&step=5ms&title=T&seconds=2", ModeOffCPU}, {"format=blocks&step=5ms&title=T&seconds=2&mode=wall", ModeWall}} {
		q, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		prepared = HandlerQuery{}
		req, err := parseHandlerQuery(q, opts)
		if err != nil {
			t.Fatalf("%q: %v", c.query, err)
		}
		if req.provided == nil || req.provided.write == nil || req.opts.Mode != c.mode || !req.opts.Timed || req.opts.Unwind != UnwindFramePointers {
			t.Errorf("%q: provided %v, mode %v, timed %v, unwind %v", c.query, req.provided, req.opts.Mode, req.opts.Timed, req.opts.Unwind)
		}
		if prepared.Format != "blocks" || prepared.Params.Encode() != "step=5ms" || prepared.Graph.Title != "T" || prepared.Mode != c.mode || prepared.Duration != 2*time.Second {
			t.Errorf("%q: Prepare was asked %+v", c.query, prepared)
		}
	}
	q, _ := url.ParseQuery("format=blocks&mode=cpu")
	if _, err := parseHandlerQuery(q, opts); err == nil || err.Error() != "profile: format=blocks shows mode=off-cpu or mode=wall, not mode=cpu" {
		t.Errorf("format=blocks&mode=cpu: %v", err)
	}
}

// TestHandlerQueryDefaults checks what a query leaves unsaid: 30 s of the
// serving process through perf as an SVG, or the whole cap when it is
// shorter, and what the target parameters choose when they are allowed.
func TestHandlerQueryDefaults(t *testing.T) {
	parse := func(query string, opts HandlerOptions) handlerRequest {
		t.Helper()
		q, err := url.ParseQuery(query)
		if err != nil {
			t.Fatal(err)
		}
		req, err := parseHandlerQuery(q, opts)
		if err != nil {
			t.Fatalf("%q: %v", query, err)
		}
		return req
	}
	req := parse("", handlerLimits)
	if req.duration != 30*time.Second || req.format != formatSVG || !req.opts.Self || req.opts.Backend != BackendPerf || req.opts.Timed {
		t.Errorf("defaults: %+v", req)
	}
	h := Handler(HandlerOptions{MaxDuration: 10 * time.Second}).(*handler)
	if h.opts.DefaultDuration != 10*time.Second {
		t.Errorf("default duration %v under a cap of 10 s", h.opts.DefaultDuration)
	}
	req = parse("seconds=0.25&format=perf-script&event=page-faults&period=10&inlines&values=true&inverted&colors=java&title=T", handlerLimits)
	want := handlerRequest{duration: 250 * time.Millisecond, format: formatPerfScript, values: true,
		opts:  Options{Self: true, Backend: BackendPerf, Event: "page-faults", Period: 10, Inlines: true, Timed: true},
		graph: flamegraph.Options{Inverted: true, Colors: flamegraph.PaletteJava, Title: "T"}}
	if req.duration != want.duration || req.format != want.format || req.values != want.values || req.graph.Inverted != want.graph.Inverted ||
		req.graph.Colors != want.graph.Colors || req.graph.Title != want.graph.Title ||
		req.opts.Self != want.opts.Self || req.opts.Backend != want.opts.Backend || req.opts.Event != want.opts.Event ||
		req.opts.Period != want.opts.Period || req.opts.Inlines != want.opts.Inlines || req.opts.Timed != want.opts.Timed {
		t.Errorf("got %+v\nwant %+v", req, want)
	}

	others := handlerLimits
	others.AllowOtherTargets = true
	if req := parse("", others); !req.opts.Self || req.opts.Backend != BackendAuto {
		t.Errorf("allowed other targets, no parameter: Self %v, backend %v; want the serving process, auto", req.opts.Self, req.opts.Backend)
	}
	if req := parse("pid=12,34&backend=bpf", others); req.opts.Self || !slices.Equal(req.opts.PIDs, []int{12, 34}) || req.opts.Backend != BackendBPF {
		t.Errorf("pid=12,34: %+v", req.opts)
	}
	if req := parse("system", others); req.opts.Self || req.opts.PIDs != nil || req.opts.Cgroup != "" {
		t.Errorf("system: %+v", req.opts)
	}
	if req := parse("system=false", others); !req.opts.Self {
		t.Errorf("system=false: %+v", req.opts)
	}
	q, _ := url.ParseQuery("pid=1&cgroup=/sys/fs/cgroup/x")
	if _, err := parseHandlerQuery(q, others); err == nil || !strings.Contains(err.Error(), "at most one target") {
		t.Errorf("pid and cgroup: %v", err)
	}
}

// FuzzHandlerQuery parses any query: an error is one line with the
// package prefix once, and an accepted query asks for a duration within
// the cap, a known format, one target (the serving process unless other
// targets are allowed) and flame graph options that Render takes.
func FuzzHandlerQuery(f *testing.F) {
	for _, s := range []string{
		"", "seconds=5", "seconds=0.5&format=folded", "format=pprof&event=page-faults&period=100",
		"format=perf-script&hz=999&inlines", "title=a%0Ab&colors=java&bgcolors=%23ffffff&width=900&inverted",
		"minwidth=0.5%25&max-depth=-1&sort-by-weight=1&fontsize=10.5", "pid=1,2&backend=perf", "system=true",
		"cgroup=/sys/fs/cgroup/x&pid=3", "seconds=1e308", "seconds=1e-12", "seconds=NaN", "frequency=99&period=1",
		"event=cycles:uk", "event=msr/tsc/", "colors=%0A", "x=1", "seconds=1&seconds=2", "values=maybe",
		"mode=off-cpu&min-block=1ms&max-block=1s&state=interruptible&threads=user", "mode=wall&wakeups", "mode=off-cpu&wakeups&backend=bpf",
		"format=blocks&step=1ms&title=x", "format=blocks&mode=cpu", "format=blocks&width=9", "step=1s", "format=blocks&step=soon&step=1s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, allow := range []bool{false, true} {
			opts := handlerLimits
			opts.AllowOtherTargets = allow
			var prepared HandlerQuery
			opts.Formats = map[string]HandlerFormat{"blocks": blocksFormat(&prepared)}
			req, err := parseHandlerQuery(q, opts)
			if err != nil {
				msg := err.Error()
				if !strings.HasPrefix(msg, "profile: ") || strings.Count(msg, "profile: ") != 1 || strings.ContainsAny(msg, "\r\n") {
					t.Fatalf("%q: message %q, want one line with the package prefix once", raw, msg)
				}
				continue
			}
			if req.duration <= 0 || req.duration > opts.MaxDuration {
				t.Fatalf("%q: duration %v", raw, req.duration)
			}
			if int(req.format) >= len(handlerFormats) {
				t.Fatalf("%q: format %d", raw, req.format)
			}
			if f := req.provided; f != nil && (f.write == nil || !slices.Contains(f.Modes, req.opts.Mode) || !req.opts.Timed || prepared.Format != f.name) {
				t.Fatalf("%q: format=%s not prepared, or recorded in mode %v (timed %v)", raw, f.name, req.opts.Mode, req.opts.Timed)
			}
			if !allow && (!req.opts.Self || req.opts.Backend != BackendPerf) {
				t.Fatalf("%q: target or backend chosen though not allowed: %+v", raw, req.opts)
			}
			targets := 0
			for _, set := range []bool{req.opts.Self, len(req.opts.PIDs) > 0, req.opts.Cgroup != ""} {
				if set {
					targets++
				}
			}
			if targets > 1 {
				t.Fatalf("%q: %d targets: %+v", raw, targets, req.opts)
			}
			if req.opts.Frequency > 0 && req.opts.Period > 0 {
				t.Fatalf("%q: frequency and period", raw)
			}
			if err := req.graph.Validate(); err != nil {
				t.Fatalf("%q: accepted flame graph options that Render refuses: %v", raw, err)
			}
		}
	})
}
