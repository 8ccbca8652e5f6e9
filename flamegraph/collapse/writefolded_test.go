package collapse

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
)

// TestWriteFoldedAsRead checks that WriteFolded writes what Read reads, in
// the bytes Profile.WriteTo writes, with the same skipped lines and stats:
// for perf script (plain and gzipped, where it does not make the profile)
// and folded stacks, and that a read error writes nothing.
func TestWriteFoldedAsRead(t *testing.T) {
	perfGz, err := os.ReadFile("../../testdata/perf-script-real.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   []byte
	}{
		{"perf", perfInput(t, "real")},
		{"perf-gzip", perfGz},
		{"folded", []byte("b;x 1\na;y 2\nnot folded\nb;x 3\n")},
	} {
		p, stats, err := Read(bytes.NewReader(c.in), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		skipped, wstats, err := WriteFolded(&out, bytes.NewReader(c.in), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := out.String(), foldedText(t, p); got != want || skipped != p.Skipped || wstats != stats {
			t.Errorf("%s: WriteFolded wrote %d bytes, %+v, %+v; Read gives %d bytes, %+v, %+v",
				c.name, len(got), skipped, wstats, len(want), p.Skipped, stats)
		}
	}
	var out bytes.Buffer
	_, _, err = WriteFolded(&out, bytes.NewReader(perfGz[:len(perfGz)/2]), Options{})
	if !errors.Is(err, io.ErrUnexpectedEOF) || out.Len() != 0 {
		t.Errorf("a cut gzip stream: error %v and %d bytes written; want io.ErrUnexpectedEOF and none", err, out.Len())
	}
}
