package profile

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// providedFormat is a HandlerFormat chosen by a request, with its name
// and, once prepared, its writer.
type providedFormat struct {
	name string
	HandlerFormat
	write HandlerWriter
}

// graphParams are Handler's parameters that shape its flame graphs, which
// a HandlerFormat takes only when it says so (GraphParams).
var graphParams = []string{"title", "subtitle", "width", "height", "minwidth", "fonttype", "fontsize", "countname", "nametype",
	"colors", "color", "bgcolors", "hash", "random", "reverse", "inverted", "sort-by-weight", "max-depth", "values"}

// checkProvidedFormats panics on a HandlerOptions.Formats that Handler
// could not serve as declared, as http.ServeMux.Handle panics on a
// conflicting pattern: these are the program's mistakes, not a request's.
func checkProvidedFormats(formats map[string]HandlerFormat) {
	for name, f := range formats {
		fail := func(format string, args ...any) {
			panic(fmt.Sprintf("profile: Handler: HandlerOptions.Formats[%q]: ", name) + fmt.Sprintf(format, args...))
		}
		switch {
		case slices.Contains(handlerFormats[:], name):
			fail("%s is a built-in format, which cannot be replaced", name)
		case name == "" || strings.ContainsAny(name, "&=;#? \t\r\n"):
			fail("not a name for format=")
		case f.Prepare == nil:
			fail("no Prepare")
		case f.ContentType == "":
			fail("no ContentType")
		}
		for _, p := range f.Params {
			if _, ok := handlerParams[p]; ok {
				fail("parameter %s is Handler's own", p)
			}
		}
		for _, p := range f.GraphParams {
			if !slices.Contains(graphParams, p) {
				fail("%s is not a flame graph parameter of Handler's (%s)", p, strings.Join(graphParams, ", "))
			}
		}
		for _, m := range f.Modes {
			if m != ModeCPU && m != ModeOffCPU && m != ModeWall {
				fail("unknown mode %v", m)
			}
		}
	}
}

// formatNames lists the names format= takes: the built-in ones, then
// those of formats, sorted.
func formatNames(formats map[string]HandlerFormat) []string {
	var provided []string
	for name := range formats {
		provided = append(provided, name)
	}
	slices.Sort(provided)
	return append(slices.Clone(handlerFormats[:]), provided...)
}

// ownerOfParam returns the name of a format of formats whose own
// parameter name is, if any, the first in name order.
func ownerOfParam(formats map[string]HandlerFormat, name string) (string, bool) {
	for _, f := range formatNames(formats) {
		if slices.Contains(formats[f].Params, name) {
			return f, true
		}
	}
	return "", false
}

// checkProvidedMode picks the recording's mode for a provided format: the
// format's first when the request gives none (modeGiven false), or the
// one asked for when the format can show it.
func (req *handlerRequest) checkProvidedMode(modeGiven bool) error {
	f := req.provided
	if f == nil || len(f.Modes) == 0 {
		return nil
	}
	if !modeGiven {
		req.opts.Mode = f.Modes[0]
		return nil
	}
	if slices.Contains(f.Modes, req.opts.Mode) {
		return nil
	}
	modes := make([]string, len(f.Modes))
	for i, m := range f.Modes {
		modes[i] = "mode=" + m.String()
	}
	return fmt.Errorf("profile: format=%s shows %s, not mode=%s", f.name, strings.Join(modes, " or "), req.opts.Mode)
}

// setFormat sets the request's format: a built-in one, or one of
// formats.
func (req *handlerRequest) setFormat(v string, formats map[string]HandlerFormat) error {
	if f, err := parseHandlerFormat(v); err == nil {
		req.format = f
		return nil
	}
	f, ok := formats[v]
	if !ok {
		return fmt.Errorf("want one of %s", strings.Join(formatNames(formats), ", "))
	}
	req.provided, req.own = &providedFormat{name: v, HandlerFormat: f}, url.Values{}
	return nil
}

// unknownParam says that name is no parameter of the request's format.
func (req *handlerRequest) unknownParam(name string, formats map[string]HandlerFormat) error {
	if owner, ok := ownerOfParam(formats, name); ok {
		return fmt.Errorf("profile: parameter %s is format=%s's, not format=%s's", name, owner, req.formatName())
	}
	known := knownParams()
	if f := req.provided; f != nil {
		known = slices.DeleteFunc(known, func(p string) bool {
			return slices.Contains(graphParams, p) && !slices.Contains(f.GraphParams, p)
		})
		known = append(known, f.Params...)
		slices.Sort(known)
	}
	return fmt.Errorf("profile: unknown parameter %q (known: %s)", name, strings.Join(known, ", "))
}

// unappliedGraphParam says that the provided format does not apply the
// flame graph parameter name.
func (req *handlerRequest) unappliedGraphParam(name string) error {
	f := req.provided
	if len(f.GraphParams) == 0 {
		return fmt.Errorf("profile: format=%s does not apply %s= (it applies no flame graph parameter)", f.name, name)
	}
	return fmt.Errorf("profile: format=%s does not apply %s= (the flame graph parameters it applies: %s)", f.name, name, strings.Join(f.GraphParams, ", "))
}

// formatName is the request's format's name in format=.
func (req *handlerRequest) formatName() string {
	if req.provided != nil {
		return req.provided.name
	}
	return handlerFormats[req.format]
}

// prepare has a provided format read its parameters and make its writer.
func (req *handlerRequest) prepare() error {
	f := req.provided
	if f == nil {
		return nil
	}
	w, err := f.Prepare(HandlerQuery{Format: f.name, Params: req.own, Graph: req.graph, Values: req.values, Mode: req.opts.Mode, Duration: req.duration})
	if err != nil {
		return err
	}
	if w == nil {
		return fmt.Errorf("profile: format=%s prepared no writer", f.name)
	}
	f.write = w
	return nil
}
