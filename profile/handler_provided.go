package profile

import (
	"errors"
	"io"
	"net/url"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
)

// HandlerFormat is a format of Handler's answers that another package
// provides, under a name of HandlerOptions.Formats: package scope's heat
// map pages (scope.HandlerFormats), for instance, which this package
// cannot write itself. Handler checks the request's query against what the
// format declares before it records, then records as the format asks and
// has it write the answer.
type HandlerFormat struct {
	// ContentType is the answer's Content-Type ("text/html; charset=utf-8").
	ContentType string
	// Extension ends the answer's file name, EXECUTABLE-EVENT.Extension, as
	// in "service-cpu-clock.scope.html": no leading dot.
	Extension string
	// Inline has the browser show the answer (Content-Disposition inline)
	// rather than save it (attachment).
	Inline bool
	// Timed records every sample with its time (Options.Timed), as
	// format=perf-script does.
	Timed bool
	// Modes are the modes the format can show, the first recorded when the
	// request has no mode=; a request for another gets 400. Empty means
	// every mode, cpu by default.
	Modes []Mode
	// Params are the names of the format's own query parameters, which
	// Handler takes with this format only (each once) and hands to
	// Prepare in HandlerQuery.Params.
	Params []string
	// GraphParams are the names of Handler's flame graph parameters the
	// format applies (title, subtitle, width, height, minwidth, fonttype,
	// fontsize, countname, nametype, colors, color, bgcolors, hash, random,
	// reverse, inverted, sort-by-weight, max-depth, and values); a request
	// with another of them gets 400. Handler parses them into
	// HandlerQuery.Graph.
	GraphParams []string
	// Prepare reads the format's parameters before anything is recorded
	// and returns what writes the answer from the recording. A bad value
	// gets 400 with the error's message as the body: say it with
	// HandlerQuery.BadParam, or with the methods that parse.
	Prepare func(q HandlerQuery) (HandlerWriter, error)
}

// HandlerWriter writes a Handler's answer from its recording; its error
// gets 500, with its message as the body.
type HandlerWriter func(w io.Writer, p *Profile) error

// HandlerQuery is what a request asks of a HandlerFormat, checked by
// Handler.
type HandlerQuery struct {
	// Format is the format's name in format=.
	Format string
	// Params are the format's own parameters the request gives, a value
	// each.
	Params url.Values
	// Graph holds the flame graph parameters of HandlerFormat.GraphParams
	// the request gives; Values is values=.
	Graph  flamegraph.Options
	Values bool
	// Mode and Duration are what is recorded, and for how long.
	Mode     Mode
	Duration time.Duration
}

// BadParam returns the error a bad value of the format's parameter name
// gets: 400, "profile: bad parameter NAME="VALUE": REASON".
func (q HandlerQuery) BadParam(name, reason string) error {
	return paramError{name, q.Params.Get(name), errors.New(reason)}
}

// BoolParam parses the format's boolean parameter name as Handler parses
// its own: absent is false, alone (?name) true.
func (q HandlerQuery) BoolParam(name string) (bool, error) {
	return parseProvidedParam(q, name, false, boolParam)
}

// IntParam parses the format's integer parameter name; absent is def.
func (q HandlerQuery) IntParam(name string, def int) (int, error) {
	return parseProvidedParam(q, name, def, intParam)
}

// DurationParam parses the format's duration parameter name (500us, 10ms,
// 1s; not negative); absent is def.
func (q HandlerQuery) DurationParam(name string, def time.Duration) (time.Duration, error) {
	return parseProvidedParam(q, name, def, durationParam)
}

// parseProvidedParam parses parameter name of q with parse, or returns
// def when the request does not give it.
func parseProvidedParam[T any](q HandlerQuery, name string, def T, parse func(string) (T, error)) (T, error) {
	if !q.Params.Has(name) {
		return def, nil
	}
	v, err := parse(q.Params.Get(name))
	if err != nil {
		return def, paramError{name, q.Params.Get(name), err}
	}
	return v, nil
}
