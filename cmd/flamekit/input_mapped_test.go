package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
)

// foldedCapture returns the real capture folded, and the path of a file
// that holds it.
func foldedCapture(t *testing.T) (string, string) {
	t.Helper()
	code, folded, stderr := flamekit(t, "", "collapse", realCapture(t))
	if code != 0 {
		t.Fatalf("collapse: exit %d: %s", code, stderr)
	}
	path := filepath.Join(t.TempDir(), "capture.folded")
	if err := os.WriteFile(path, []byte(folded), 0o644); err != nil {
		t.Fatal(err)
	}
	return folded, path
}

// TestRenderMapsFoldedFiles checks which files render maps rather than
// reads (folded stacks, detected or named by --format), that the stacks of
// a mapped file are parts of the mapping, not copies, and that every input
// renders to the same bytes from a file as from stdin, mapped or not.
func TestRenderMapsFoldedFiles(t *testing.T) {
	folded, foldedPath := foldedCapture(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(folded))
	zw.Close()
	first, _, _ := strings.Cut(folded, "\n")
	long := first[:strings.LastIndexByte(first, ' ')]
	for len(long) < 100<<10 {
		long += ";" + long
	}
	perf, err := os.ReadFile(realCapture(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		path   string
		format collapse.Format
		mapped bool
	}{
		{"folded", foldedPath, collapse.FormatAuto, true},
		{"folded, named", foldedPath, collapse.FormatFolded, true},
		{"small folded", write("small.folded", []byte("main;work 3\nmain;idle 1\n")), collapse.FormatAuto, true},
		{"gzipped folded", write("folded.gz", gz.Bytes()), collapse.FormatAuto, false},
		{"gzipped folded, named", write("folded.gz", gz.Bytes()), collapse.FormatFolded, false},
		{"folded, first line longer than detection's first look", write("long.folded", []byte(long+" 3\n"+folded)), collapse.FormatAuto, false},
		{"perf script", write("perf.txt", perf[:1<<20]), collapse.FormatAuto, false},
		{"empty", write("empty", nil), collapse.FormatAuto, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var m mappedFiles
			t.Cleanup(m.unmap)
			p, err := m.readMapped(c.path, collapse.Options{Format: c.format})
			if err != nil {
				t.Fatal(err)
			}
			if (p != nil) != c.mapped {
				t.Fatalf("mapped: %v, want %v", p != nil, c.mapped)
			}
			if p != nil {
				if len(m) != 1 || len(p.Stacks) == 0 {
					t.Fatalf("%d mappings, %d stacks", len(m), len(p.Stacks))
				}
				start := uintptr(unsafe.Pointer(unsafe.SliceData(m[0].data)))
				at := uintptr(unsafe.Pointer(unsafe.StringData(p.Stacks[len(p.Stacks)-1].Frames)))
				if at < start || at >= start+uintptr(len(m[0].data)) {
					t.Errorf("the stacks are copies, not parts of the mapped file")
				}
			}
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"render", "--format", string(c.format)}
			codeFile, fromFile, _ := flamekit(t, "", append(args, c.path)...)
			codeStdin, fromStdin, _ := flamekit(t, string(data), args...)
			if codeFile != codeStdin || fromFile != fromStdin {
				t.Errorf("from the file: exit %d, %d bytes; from stdin: exit %d, %d bytes", codeFile, len(fromFile), codeStdin, len(fromStdin))
			}
		})
	}
}

// TestRenderMappedFileShrinks truncates a mapped input file before it is
// rendered, as another program rewriting it might: reading it faults, and
// render says so once, naming the file, instead of crashing.
func TestRenderMappedFileShrinks(t *testing.T) {
	_, path := foldedCapture(t)
	var m mappedFiles
	t.Cleanup(m.unmap)
	p, err := m.readMapped(path, collapse.Options{})
	if err != nil || p == nil {
		t.Fatalf("not mapped: %v", err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	err = m.guardMapped(func() error {
		return flamegraph.Render(io.Discard, p, flamegraph.Options{})
	})
	if !errors.Is(err, errInputShrank) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want %v naming %s", err, errInputShrank, path)
	}
	// Other faults are not the file's: they still crash.
	defer func() {
		if r := recover(); r == nil {
			t.Error("a fault outside the mapped files was recovered")
		}
	}()
	m.guardMapped(func() error {
		var nowhere *flamegraph.Profile
		return flamegraph.Render(io.Discard, &flamegraph.Profile{Stacks: nowhere.Stacks}, flamegraph.Options{})
	})
}
