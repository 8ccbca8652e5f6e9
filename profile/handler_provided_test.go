package profile_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/internal/testenv/handlertest"
	fkprofile "github.com/flamekit/flamekit/profile"
)

// stackCountFormat is a format a test provides: a line of what it was
// asked (title, mode, seconds) and what it got (timed samples, samples of
// stacks naming needle=). fail=true makes its writer fail.
var stackCountFormat = fkprofile.HandlerFormat{
	ContentType: "text/plain; charset=utf-8", Extension: "count.txt", Inline: true, Timed: true,
	Params:      []string{"needle", "fail"},
	GraphParams: []string{"title"},
	Prepare: func(q fkprofile.HandlerQuery) (fkprofile.HandlerWriter, error) {
		needle := q.Params.Get("needle")
		if needle == "" {
			return nil, q.BadParam("needle", "want a function's name")
		}
		fail, err := q.BoolParam("fail")
		if err != nil {
			return nil, err
		}
		return func(w io.Writer, p *fkprofile.Profile) error {
			if fail {
				return errors.New("stackcount: failing as asked")
			}
			var n uint64
			for _, s := range p.Folded(fkprofile.FoldOptions{}).Stacks {
				if strings.Contains(";"+s.Frames+";", ";"+needle+";") {
					n += uint64(s.Count)
				}
			}
			_, err := fmt.Fprintf(w, "title=%s mode=%s seconds=%v timed=%d needle=%d\n", q.Graph.Title, q.Mode, q.Duration, len(p.Timed), n)
			return err
		}, nil
	},
}

// TestHandlerProvidedFormat serves a format the test provides while the
// test burns CPU in handlertest.Burn: the format gets its own parameters
// and the flame graph parameters it applies, a timed recording of the hot
// function, and sets the answer's headers; bad parameters get 400 before
// anything is recorded, and its writer's error 500.
func TestHandlerProvidedFormat(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	handlertest.Burn(t)
	srv := serveHandler(t, fkprofile.HandlerOptions{Formats: map[string]fkprofile.HandlerFormat{"stackcount": stackCountFormat}})
	resp, body := handlertest.MustGet(t, srv, "?seconds=1&hz=499&format=stackcount&title=T&needle="+url.QueryEscape(handlertest.Hot), http.StatusOK)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "text/plain; charset=utf-8" || cd != fmt.Sprintf("inline; filename=%q", filepath.Base(exe)+"-cpu-clock.count.txt") {
		t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
	}
	var title, mode, seconds string
	var timed, hot int
	if _, err := fmt.Sscanf(string(body), "title=%s mode=%s seconds=%s timed=%d needle=%d\n", &title, &mode, &seconds, &timed, &hot); err != nil {
		t.Fatalf("%q: %v", body, err)
	}
	if title != "T" || mode != "cpu" || seconds != "1s" || timed == 0 || hot == 0 {
		t.Errorf("the format was asked %s, %s, %s and got %d timed samples, %d of %s; want T, cpu, 1s, some, some", title, mode, seconds, timed, hot, handlertest.Hot)
	}

	_, body = handlertest.MustGet(t, srv, "?seconds=0.2&format=stackcount&needle=x&fail", http.StatusInternalServerError)
	if string(body) != "stackcount: failing as asked\n" {
		t.Errorf("the writer's error: %q", body)
	}
	for _, c := range []struct{ query, msg string }{
		{"?format=stackcount", `profile: bad parameter needle="": want a function's name`},
		{"?format=stackcount&needle=x&fail=maybe", `profile: bad parameter fail="maybe": want true or false`},
		{"?format=stackcount&needle=x&needle=y", `profile: parameter needle given 2 times`},
		{"?format=stackcount&needle=x&width=900", `profile: format=stackcount does not apply width= (the flame graph parameters it applies: title)`},
		{"?format=folded&needle=x", `profile: parameter needle is format=stackcount's, not format=folded's`},
		{"?format=stackcount&needle=x&rows=9", `profile: unknown parameter "rows" (known: backend, cgroup, event, fail, format, frequency, hz, inlines, max-block, min-block, mode, needle, period, pid, seconds, state, system, threads, title, wakeups)`},
		{"?format=counts", `profile: bad parameter format="counts": want one of svg, folded, pprof, perf-script, stackcount`},
	} {
		_, body := handlertest.MustGet(t, srv, c.query, http.StatusBadRequest)
		if !strings.HasPrefix(string(body), c.msg) || strings.Count(string(body), "\n") != 1 {
			t.Errorf("%s: %q, want one line starting %q", c.query, body, c.msg)
		}
	}
}

// TestHandlerProvidedFormatMistakes: Handler refuses, by a panic that
// names it, a format it could not serve as declared.
func TestHandlerProvidedFormatMistakes(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(f *fkprofile.HandlerFormat)
		msg  string
	}{
		{"svg", func(f *fkprofile.HandlerFormat) {}, `Formats["svg"]: svg is a built-in format, which cannot be replaced`},
		{"a&b", func(f *fkprofile.HandlerFormat) {}, `Formats["a&b"]: not a name for format=`},
		{"x", func(f *fkprofile.HandlerFormat) { f.Prepare = nil }, `Formats["x"]: no Prepare`},
		{"x", func(f *fkprofile.HandlerFormat) { f.ContentType = "" }, `Formats["x"]: no ContentType`},
		{"x", func(f *fkprofile.HandlerFormat) { f.Params = []string{"needle", "seconds"} }, `Formats["x"]: parameter seconds is Handler's own`},
		{"x", func(f *fkprofile.HandlerFormat) { f.GraphParams = []string{"rows"} }, `Formats["x"]: rows is not a flame graph parameter of Handler's`},
		{"x", func(f *fkprofile.HandlerFormat) { f.Modes = []fkprofile.Mode{7} }, `Formats["x"]: unknown mode Mode(7)`},
	} {
		f := stackCountFormat
		c.edit(&f)
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "profile: Handler: HandlerOptions."+c.msg) {
					t.Errorf("%s: panic %q, want %q", c.name, msg, c.msg)
				}
			}()
			fkprofile.Handler(fkprofile.HandlerOptions{Formats: map[string]fkprofile.HandlerFormat{c.name: f}})
		}()
	}
}
