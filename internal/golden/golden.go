// Package golden is what flamekit's golden-file tests share.
//
// One convention rewrites golden files: each package with goldens declares
//
//	var update = flag.Bool("update", false, "rewrite the golden files in testdata")
//
// once, and its golden tests, run with `go test ./PKG -update`, write what
// they would compare with (Write) instead of failing. Goldens that store the
// output of a peer, a script of Brendan Gregg's FlameGraph
// (flamegraph.pl, stackcollapse-perf.pl, ...), are regenerated from that
// peer, run from the checkout FLAMEGRAPH_DIR names (FlameGraph); without
// FLAMEGRAPH_DIR, -update fails saying so. Comparing needs neither perl nor
// the checkout: the peers' outputs are in testdata.
package golden

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Read returns the contents of a golden file, decompressed when its name
// ends in .gz.
func Read(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return data
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if data, err = io.ReadAll(zr); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return data
}

// Write makes data the contents of the golden file at path, gzipped when
// its name ends in .gz. A file that already holds data is left alone, so
// that rewriting unchanged goldens changes no bytes.
func Write(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if old, err := os.ReadFile(path); err == nil {
		if same := bytes.Equal(old, data); same || strings.HasSuffix(path, ".gz") && bytes.Equal(Read(tb, path), data) {
			return
		}
	}
	out := data
	if strings.HasSuffix(path, ".gz") {
		var b bytes.Buffer
		zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := zw.Write(data); err != nil {
			tb.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			tb.Fatal(err)
		}
		out = b.Bytes()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("rewrote %s", path)
}

// FlameGraph runs a script of the FlameGraph checkout that FLAMEGRAPH_DIR
// names (perl $FLAMEGRAPH_DIR/script args...) in a temporary directory and
// returns its standard output. It is for -update: it fails tb, never skips
// it, when FLAMEGRAPH_DIR is unset, the script is missing, perl is not
// installed or the script fails, as a golden left stale must not pass.
func FlameGraph(tb testing.TB, script string, args ...string) []byte {
	tb.Helper()
	dir := os.Getenv("FLAMEGRAPH_DIR")
	if dir == "" {
		tb.Fatalf("-update regenerates this golden from FlameGraph's %s: set FLAMEGRAPH_DIR to a checkout of https://github.com/brendangregg/FlameGraph", script)
	}
	path := filepath.Join(dir, script)
	if _, err := os.Stat(path); err != nil {
		tb.Fatalf("FLAMEGRAPH_DIR=%s is not a FlameGraph checkout: %v", dir, err)
	}
	perl, err := exec.LookPath("perl")
	if err != nil {
		tb.Fatalf("-update runs FlameGraph's %s with perl, which is not installed: %v", script, err)
	}
	cmd := exec.Command(perl, append([]string{path}, args...)...)
	cmd.Dir = tb.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("perl %s %s: %v\n%s", script, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}
