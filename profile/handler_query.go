package profile

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
)

// errTargetNotAllowed reports a query parameter that picks a target or a
// backend, which HandlerOptions.AllowOtherTargets does not allow.
var errTargetNotAllowed = errors.New("profile: this handler profiles its own process only (HandlerOptions.AllowOtherTargets is off)")

// handlerRequest is what a request's query asks of Handler.
type handlerRequest struct {
	duration time.Duration
	format   handlerFormat
	opts     Options
	values   bool // weigh stacks by the event's unit
	system   bool // system=true: the whole system
	graph    flamegraph.Options
	provided *providedFormat // format= names one of HandlerOptions.Formats
	own      url.Values      // the provided format's own parameters
}

// handlerParam parses the value of one query parameter into req.
type handlerParam func(req *handlerRequest, v string) error

// handlerParams are the query parameters Handler takes, by name.
var handlerParams = map[string]handlerParam{
	"seconds":   func(r *handlerRequest, v string) error { return nil }, // parsed first, against the options
	"format":    func(r *handlerRequest, v string) error { return nil }, // parsed first: it decides the other parameters
	"event":     parseEventParam,
	"frequency": func(r *handlerRequest, v string) (err error) { r.opts.Frequency, err = positiveInt(v); return err },
	"hz":        func(r *handlerRequest, v string) (err error) { r.opts.Frequency, err = positiveInt(v); return err },
	"period":    func(r *handlerRequest, v string) (err error) { r.opts.Period, err = positiveInt(v); return err },
	"inlines":   func(r *handlerRequest, v string) (err error) { r.opts.Inlines, err = boolParam(v); return err },
	"values":    func(r *handlerRequest, v string) (err error) { r.values, err = boolParam(v); return err },

	// Off-CPU and wall-clock recording.
	"mode":      parseModeParam,
	"wakeups":   func(r *handlerRequest, v string) (err error) { r.opts.Wakeups, err = boolParam(v); return err },
	"min-block": func(r *handlerRequest, v string) (err error) { r.opts.Block.Min, err = durationParam(v); return err },
	"max-block": func(r *handlerRequest, v string) (err error) { r.opts.Block.Max, err = durationParam(v); return err },
	"state": func(r *handlerRequest, v string) (err error) {
		r.opts.Block.State, err = ParseBlockState(v)
		return err
	},
	"threads": func(r *handlerRequest, v string) (err error) { r.opts.Block.Threads, err = ParseThreads(v); return err },

	"title":     func(r *handlerRequest, v string) error { r.graph.Title = v; return nil },
	"subtitle":  func(r *handlerRequest, v string) error { r.graph.Subtitle = v; return nil },
	"width":     func(r *handlerRequest, v string) (err error) { r.graph.Width, err = intParam(v); return err },
	"height":    func(r *handlerRequest, v string) (err error) { r.graph.Height, err = intParam(v); return err },
	"minwidth":  func(r *handlerRequest, v string) error { r.graph.MinWidth = v; return nil },
	"fonttype":  func(r *handlerRequest, v string) error { r.graph.FontType = v; return nil },
	"fontsize":  func(r *handlerRequest, v string) (err error) { r.graph.FontSize, err = floatParam(v); return err },
	"countname": func(r *handlerRequest, v string) error { r.graph.CountName = v; return nil },
	"nametype":  func(r *handlerRequest, v string) error { r.graph.NameType = v; return nil },
	"colors": func(r *handlerRequest, v string) (err error) {
		r.graph.Colors, err = flamegraph.ParsePalette(v)
		return err
	},
	"color": func(r *handlerRequest, v string) (err error) {
		r.graph.Colors, err = flamegraph.ParsePalette(v)
		return err
	},
	"bgcolors": func(r *handlerRequest, v string) (err error) {
		r.graph.BgColors, err = flamegraph.ParseBackground(v)
		return err
	},
	"hash":           func(r *handlerRequest, v string) (err error) { r.graph.Hash, err = boolParam(v); return err },
	"random":         func(r *handlerRequest, v string) (err error) { r.graph.Random, err = boolParam(v); return err },
	"reverse":        func(r *handlerRequest, v string) (err error) { r.graph.Reverse, err = boolParam(v); return err },
	"inverted":       func(r *handlerRequest, v string) (err error) { r.graph.Inverted, err = boolParam(v); return err },
	"sort-by-weight": func(r *handlerRequest, v string) (err error) { r.graph.SortByWeight, err = boolParam(v); return err },
	"max-depth":      func(r *handlerRequest, v string) (err error) { r.graph.MaxDepth, err = intParam(v); return err },

	// Targets and backends, with HandlerOptions.AllowOtherTargets.
	"pid":     parsePIDsParam,
	"cgroup":  func(r *handlerRequest, v string) error { r.opts.Cgroup = v; return nil },
	"system":  func(r *handlerRequest, v string) (err error) { r.system, err = boolParam(v); return err },
	"backend": func(r *handlerRequest, v string) (err error) { r.opts.Backend, err = ParseBackend(v); return err },
}

// targetParams are the parameters only AllowOtherTargets allows.
var targetParams = []string{"pid", "cgroup", "system", "backend"}

// parseHandlerQuery reads a Handler request's query: each parameter
// once, known, and valid. Without AllowOtherTargets in opts, the target
// is the serving process and the backend perf. A format of opts.Formats
// takes its own parameters too, and prepares its writer.
func parseHandlerQuery(q url.Values, opts HandlerOptions) (handlerRequest, error) {
	req := handlerRequest{duration: opts.DefaultDuration, opts: Options{Backend: BackendPerf}}
	if opts.AllowOtherTargets {
		req.opts.Backend = BackendAuto
	}
	if v := q["format"]; len(v) == 1 {
		if err := req.setFormat(v[0], opts.Formats); err != nil {
			return req, paramError{"format", v[0], err}
		}
	}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names) // the first bad parameter in name order: the same message every time
	for _, name := range names {
		parse, ok := handlerParams[name]
		own := req.provided != nil && slices.Contains(req.provided.Params, name)
		switch {
		case !ok && !own:
			return req, req.unknownParam(name, opts.Formats)
		case len(q[name]) > 1:
			return req, fmt.Errorf("profile: parameter %s given %d times", name, len(q[name]))
		case own:
			req.own.Set(name, q[name][0])
			continue
		case !opts.AllowOtherTargets && slices.Contains(targetParams, name):
			return req, fmt.Errorf("%w: %s= is not allowed", errTargetNotAllowed, name)
		case req.provided != nil && slices.Contains(graphParams, name) && !slices.Contains(req.provided.GraphParams, name):
			return req, req.unappliedGraphParam(name)
		}
		if err := parse(&req, q[name][0]); err != nil {
			return req, paramError{name, q[name][0], err}
		}
	}
	if v, ok := q["seconds"]; ok {
		d, err := parseSeconds(v[0], opts.MaxDuration)
		if err != nil {
			return req, paramError{"seconds", v[0], err}
		}
		req.duration = d
	}
	if err := req.checkProvidedMode(q.Has("mode")); err != nil {
		return req, err
	}
	if err := req.check(); err != nil {
		return req, err
	}
	return req, req.prepare()
}

// check looks at what the parameters say together.
func (req *handlerRequest) check() error {
	if req.opts.Frequency > 0 && req.opts.Period > 0 {
		return errors.New("profile: give frequency (or hz) or period, not both")
	}
	targets := 0
	for _, set := range []bool{len(req.opts.PIDs) > 0, req.opts.Cgroup != "", req.system} {
		if set {
			targets++
		}
	}
	if targets > 1 {
		return errors.New("profile: give at most one target: pid, cgroup or system=true")
	}
	req.opts.Self = targets == 0
	if err := req.graph.Validate(); err != nil {
		return fmt.Errorf("profile: bad flame graph parameters: %w", err)
	}
	if req.opts.Mode == ModeOffCPU && req.opts.Frequency > 0 {
		return fmt.Errorf("%w: mode=off-cpu records blocked time: event, frequency and period apply to mode=cpu and mode=wall", ErrOptions)
	}
	ev, err := ParseEvent(req.opts.Event)
	if err != nil {
		return err
	}
	if _, err := offCPUConfig(req.opts, ev); err != nil {
		return err
	}
	if req.opts.Mode != ModeCPU {
		// A Go program's blocked threads switch often: walking their
		// stacks by call frame information copies 16 KiB a switch, and
		// Go code has frame pointers.
		req.opts.Unwind = UnwindFramePointers
	}
	req.opts.Timed = req.format == formatPerfScript || req.provided != nil && req.provided.Timed
	return nil
}

// parseModeParam parses mode=: cpu, off-cpu or wall.
func parseModeParam(r *handlerRequest, v string) error {
	for _, m := range []Mode{ModeCPU, ModeOffCPU, ModeWall} {
		if v == m.String() {
			r.opts.Mode = m
			return nil
		}
	}
	return errors.New("want cpu, off-cpu or wall")
}

// durationParam parses a duration such as 1ms or 2.5s, not negative.
func durationParam(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 500us, 10ms or 1s")
	}
	return d, nil
}

// paramError is a query parameter's bad value and why: said with the
// package prefix once, though the reason may come with it (ParseEvent's,
// ParseBackend's).
type paramError struct {
	name, value string
	err         error
}

func (e paramError) Error() string {
	return fmt.Sprintf("profile: bad parameter %s=%q: %s", e.name, e.value, strings.TrimPrefix(e.err.Error(), "profile: "))
}

func (e paramError) Unwrap() error { return e.err }

// knownParams lists the parameters' names, sorted.
func knownParams() []string {
	names := make([]string, 0, len(handlerParams))
	for name := range handlerParams {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// parseSeconds parses seconds=: a positive number of seconds, at most
// limit.
func parseSeconds(v string, limit time.Duration) (time.Duration, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return 0, errors.New("want a positive number of seconds, such as 30 or 0.5")
	}
	if f > limit.Seconds() {
		return 0, fmt.Errorf("over this handler's limit of %g seconds (HandlerOptions.MaxDuration)", limit.Seconds())
	}
	d := time.Duration(f * float64(time.Second))
	if d <= 0 {
		return 0, errors.New("shorter than a nanosecond")
	}
	return d, nil
}

// parseEventParam checks the event now, so that a request for one that
// cannot be sampled gets 400 rather than a failed recording.
func parseEventParam(r *handlerRequest, v string) error {
	ev, err := ParseEvent(v)
	if err != nil {
		return err
	}
	if err := samplingError(ev); err != nil {
		return err
	}
	r.opts.Event = v
	return nil
}

// parsePIDsParam parses pid=: process IDs separated by commas.
func parsePIDsParam(r *handlerRequest, v string) error {
	var pids []int
	for _, f := range strings.Split(v, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid <= 0 {
			return errors.New("want process IDs separated by commas")
		}
		pids = append(pids, pid)
	}
	r.opts.PIDs = pids
	return nil
}

// positiveInt parses a positive integer.
func positiveInt(v string) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, errors.New("want a positive integer")
	}
	return n, nil
}

// intParam parses an integer.
func intParam(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errors.New("want an integer")
	}
	return n, nil
}

// floatParam parses a finite number.
func floatParam(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("want a number")
	}
	return f, nil
}

// boolParam parses a boolean; the empty value (?inverted) is true.
func boolParam(v string) (bool, error) {
	if v == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}
