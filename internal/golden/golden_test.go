package golden

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestWriteRead writes plain and gzipped goldens and reads them back;
// writing the same contents again leaves the bytes alone, also when they
// were gzipped otherwise (gzip -9n rather than Go's gzip).
func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	want := []byte("main;work 3\nmain;idle 1\n")
	for _, name := range []string{"a.folded", "sub/b.folded.gz"} {
		path := filepath.Join(dir, name)
		Write(t, path, want)
		if got := Read(t, path); !bytes.Equal(got, want) {
			t.Fatalf("%s: read %q, want %q", name, got, want)
		}
		before, _ := os.ReadFile(path)
		Write(t, path, want)
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("%s: rewriting the same contents changed the file", name)
		}
		Write(t, path, []byte("other\n"))
		if got := Read(t, path); string(got) != "other\n" {
			t.Errorf("%s: new contents not written: %q", name, got)
		}
	}
	path := filepath.Join(dir, "c.gz")
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.NoCompression)
	zw.Write(want)
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	Write(t, path, want)
	if after, _ := os.ReadFile(path); !bytes.Equal(after, b.Bytes()) {
		t.Error("a golden gzipped otherwise, with the same contents, was rewritten")
	}
}

// fatalTB records the message a helper fails with and stops it, as
// testing's Fatalf does.
type fatalTB struct {
	testing.TB
	msg string
}

type stopped struct{}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(stopped{})
}

// failure runs FlameGraph with a recording TB and returns its message.
func failure(t *testing.T, script string) (msg string) {
	f := &fatalTB{TB: t}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopped); !ok {
				panic(r)
			}
			msg = f.msg
		}
	}()
	FlameGraph(f, script)
	t.Fatal("FlameGraph returned without FLAMEGRAPH_DIR")
	return ""
}

// TestFlameGraphNeedsCheckout checks that regenerating a peer's golden
// fails, saying what to set, without FLAMEGRAPH_DIR or with a directory
// that is no checkout.
func TestFlameGraphNeedsCheckout(t *testing.T) {
	t.Setenv("FLAMEGRAPH_DIR", "")
	if msg := failure(t, "flamegraph.pl"); !strings.Contains(msg, "set FLAMEGRAPH_DIR") {
		t.Errorf("without FLAMEGRAPH_DIR: %q", msg)
	}
	t.Setenv("FLAMEGRAPH_DIR", t.TempDir())
	if msg := failure(t, "flamegraph.pl"); !strings.Contains(msg, "is not a FlameGraph checkout") {
		t.Errorf("with an empty FLAMEGRAPH_DIR: %q", msg)
	}
}

// TestFlameGraphRuns runs a script of a stand-in checkout with perl.
func TestFlameGraphRuns(t *testing.T) {
	testenv.RequireTool(t, "perl", "")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "echo.pl"), []byte(`print join(",", @ARGV), "\n";`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FLAMEGRAPH_DIR", dir)
	if got := string(FlameGraph(t, "echo.pl", "--hash", "in.folded")); got != "--hash,in.folded\n" {
		t.Errorf("got %q", got)
	}
}
