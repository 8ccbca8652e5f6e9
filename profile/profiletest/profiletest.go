package profiletest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/profile"
)

// Start profiles the test's process from now until tb ends, then writes
// its profile into tb.ArtifactDir(): TestName.svg and TestName.pb.gz
// unless Formats says otherwise (a subtest's slashes become "__"), and
// logs their paths. When profiling is not permitted (or the event is not
// supported here), it logs why and returns: the test goes on without a
// profile. An option it cannot take (an event it cannot parse, an unknown
// Format) fails tb.
func Start(tb testing.TB, opts ...Option) {
	tb.Helper()
	c := config{formats: []Format{SVG, Pprof}, frequency: defaultFrequency}
	for _, o := range opts {
		o(&c)
	}
	if c.frequency == 0 {
		c.frequency = defaultFrequency
	}
	timed := false
	for _, f := range c.formats {
		if f > PerfScript {
			tb.Fatalf("profiletest: unknown format %d", f)
		}
		timed = timed || f == PerfScript
	}
	if _, err := profile.ParseEvent(c.event); err != nil {
		tb.Fatal(err)
	}
	// ArtifactDir before Cleanup: cleanups run last first, so the
	// temporary directory it makes without -artifacts is removed after
	// the files are written in it.
	dir := tb.ArtifactDir()
	s, err := profile.Start(context.Background(), profile.Options{
		Self: true, Backend: profile.BackendPerf, Event: c.event, Frequency: c.frequency, Timed: timed,
	})
	if err != nil {
		tb.Logf("profiletest: not profiling %s: %v", tb.Name(), err)
		return
	}
	tb.Cleanup(func() {
		tb.Helper() // its messages point at the call of Start
		defer s.Close()
		p, err := s.Stop()
		if err != nil {
			tb.Logf("profiletest: no profile of %s: %v", tb.Name(), err)
			return
		}
		write(tb, p, filepath.Join(dir, strings.ReplaceAll(tb.Name(), "/", "__")), c.formats)
	})
}

// write writes p in each format to base plus the format's extension, and
// logs what it wrote.
func write(tb testing.TB, p *profile.Profile, base string, formats []Format) {
	tb.Helper()
	var paths []string
	for _, f := range formats {
		path := base + f.ext()
		if err := writeFile(path, func(w io.Writer) error { return writeFormat(w, p, f, tb.Name()) }); err != nil {
			tb.Errorf("profiletest: %v", err)
			continue
		}
		paths = append(paths, path)
	}
	if len(paths) > 0 {
		tb.Logf("profiletest: %d samples of %s (%v) in %s", p.Total(), p.Event.Name, p.Duration.Round(1e6), strings.Join(paths, ", "))
	}
}

// writeFormat writes p in format f; name titles the flame graph.
func writeFormat(w io.Writer, p *profile.Profile, f Format, name string) error {
	switch f {
	case SVG:
		err := p.WriteFlameGraph(w, flamegraph.Options{Title: fmt.Sprintf("%s: %s (%d samples)", name, p.Event.Name, p.Total())})
		if errors.Is(err, flamegraph.ErrEmpty) {
			return nil // the SVG says there were no samples
		}
		return err
	case Pprof:
		return p.WritePprof(w)
	case Folded:
		_, err := p.Folded(profile.FoldOptions{}).WriteTo(w)
		return err
	}
	return p.WritePerfScript(w)
}

// writeFile creates path and writes it with fill.
func writeFile(path string, fill func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = fill(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
