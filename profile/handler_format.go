package profile

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/flamekit/flamekit/flamegraph"
)

// handlerFormat is a format Handler answers in.
type handlerFormat uint8

const (
	formatSVG handlerFormat = iota
	formatFolded
	formatPprof
	formatPerfScript
)

// handlerFormats are the formats' names in format=, by value.
var handlerFormats = [...]string{formatSVG: "svg", formatFolded: "folded", formatPprof: "pprof", formatPerfScript: "perf-script"}

// parseHandlerFormat parses format=.
func parseHandlerFormat(v string) (handlerFormat, error) {
	for f, name := range handlerFormats {
		if v == name {
			return handlerFormat(f), nil
		}
	}
	return 0, fmt.Errorf("want one of %s", strings.Join(handlerFormats[:], ", "))
}

// contentType is the format's Content-Type.
func (f handlerFormat) contentType() string {
	switch f {
	case formatSVG:
		return "image/svg+xml"
	case formatPprof:
		return "application/octet-stream"
	}
	return "text/plain; charset=utf-8"
}

// disposition is the format's Content-Disposition for p: a flame graph is
// shown in the browser, the rest saved.
func (f handlerFormat) disposition(p *Profile) string {
	ext := [...]string{formatSVG: "svg", formatFolded: "folded.txt", formatPprof: "pb.gz", formatPerfScript: "perf-script.txt"}[f]
	return contentDisposition(p, ext, f == formatSVG)
}

// contentDisposition is the Content-Disposition of an answer with p,
// inline or attachment, named EXECUTABLE-EVENT.EXT.
func contentDisposition(p *Profile, ext string, inline bool) string {
	exe, _ := os.Executable()
	name := fileNamePart(filepath.Base(exe)) + "-" + fileNamePart(p.Event.Name) + "." + ext
	kind := "attachment"
	if inline {
		kind = "inline"
	}
	return fmt.Sprintf("%s; filename=%q", kind, name)
}

// contentType is the Content-Type of the request's answer.
func (req *handlerRequest) contentType() string {
	if f := req.provided; f != nil {
		return f.ContentType
	}
	return req.format.contentType()
}

// disposition is the Content-Disposition of the request's answer with p.
func (req *handlerRequest) disposition(p *Profile) string {
	if f := req.provided; f != nil {
		return contentDisposition(p, fileNamePart(f.Extension), f.Inline)
	}
	return req.format.disposition(p)
}

// fileNamePart keeps the letters, digits, '.', '-' and '_' of s, so that
// it can go in a file name quoted in a header.
func fileNamePart(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
	if s == "" || s == "." || s == ".." {
		return "profile"
	}
	return s
}

// write writes p in the request's format. A profile without samples
// gives the SVG that says so. A provided format's errors are its own.
func (req *handlerRequest) write(w io.Writer, p *Profile) error {
	if f := req.provided; f != nil {
		return f.write(w, p)
	}
	var err error
	switch req.format {
	case formatSVG:
		if req.values {
			opts := req.graph
			opts.Title = cmp.Or(opts.Title, fmt.Sprintf("%s profile (%d samples)", p.Event.Name, p.Total()))
			err = flamegraph.Render(w, p.Folded(FoldOptions{Values: true}), opts)
		} else {
			err = p.WriteFlameGraph(w, req.graph) // with the mode's title, unit and palette
		}
		if errors.Is(err, flamegraph.ErrEmpty) {
			err = nil
		}
	case formatFolded:
		_, err = p.Folded(FoldOptions{Values: req.values}).WriteTo(w)
	case formatPprof:
		err = p.WritePprof(w)
	case formatPerfScript:
		err = p.WritePerfScript(w)
	}
	if err != nil {
		return fmt.Errorf("profile: writing the %s: %w", handlerFormats[req.format], err)
	}
	return nil
}
