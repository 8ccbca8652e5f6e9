package main

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// realCapture returns the path of the real perf script capture, unpacked.
func realCapture(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../../testdata/perf-script-real.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "perf.script.txt")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// flamekit runs the command in-process and returns its exit status and output.
func flamekit(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// checkSVG parses an SVG and returns all its character data and attribute
// values, where frame names may appear.
func checkSVG(t *testing.T, svg []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.CharData:
			text.Write(tok)
		case xml.StartElement:
			for _, a := range tok.Attr {
				text.WriteString(a.Value)
				text.WriteByte('\n')
			}
		}
	}
	return text.String()
}

func TestCollapseThenRender(t *testing.T) {
	perf := realCapture(t)
	code, folded, stderr := flamekit(t, "", "collapse", perf)
	if code != 0 {
		t.Fatalf("collapse exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(folded), "\n")
	if len(lines) < 800 {
		t.Fatalf("collapse gave %d folded stacks, want ~899", len(lines))
	}
	// The real capture has Go's cmd/go reading its cache from the kernel.
	if !strings.Contains(folded, "go;runtime.goexit.abi0;cmd/internal/par.(*Queue).Add.func1;") {
		t.Fatalf("collapse output lacks the go process stacks:\n%s", lines[0])
	}

	// stdin → stdout, as in `perf script | flamekit collapse | flamekit render`.
	code, svg, stderr := flamekit(t, folded, "render", "--title", "Real capture")
	if code != 0 {
		t.Fatalf("render exit %d: %s", code, stderr)
	}
	text := checkSVG(t, []byte(svg))
	for _, want := range []string{"Real capture", "cmd/go/internal/cache.(*DiskCache).get"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered SVG lacks %q", want)
		}
	}

	// The perf script file rendered directly, flags after the file name.
	out := filepath.Join(t.TempDir(), "out.svg")
	code, _, stderr = flamekit(t, "", "render", perf, "-o", out, "--width", "800")
	if code != 0 {
		t.Fatalf("render FILE -o exit %d: %s", code, stderr)
	}
	direct, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(checkSVG(t, direct), "cmd/go/internal/cache.(*DiskCache).get") {
		t.Error("SVG rendered from perf script lacks a known frame")
	}
	if !bytes.Contains(direct, []byte(`width="800"`)) {
		t.Error("--width after the file name was not applied")
	}
}

func TestCollapseOptions(t *testing.T) {
	perf := realCapture(t)
	_, plain, _ := flamekit(t, "", "collapse", perf)
	code, kernel, stderr := flamekit(t, "", "collapse", "--kernel", "--format", "perf", perf)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(plain, "_[k]") || !strings.Contains(kernel, "do_syscall_64_[k]") {
		t.Fatal("--kernel did not annotate kernel frames (or plain did)")
	}
}

func TestCollapseWarnsOfOtherEvents(t *testing.T) {
	multi := "../../flamegraph/collapse/testdata/perf/multi-event.txt.gz"
	code, _, stderr := flamekit(t, "", "collapse", multi)
	if code != 0 || !strings.Contains(stderr, "left out") || !strings.Contains(stderr, "--event-filter") {
		t.Fatalf("exit %d, stderr %q: want a warning about the other event type", code, stderr)
	}
	code, out, stderr := flamekit(t, "", "collapse", "--event-filter", "cpu-clock", multi)
	if code != 0 || stderr != "" || out == "" {
		t.Fatalf("--event-filter cpu-clock: exit %d, stderr %q, %d bytes out", code, stderr, len(out))
	}
}

func TestDiff(t *testing.T) {
	dir := t.TempDir()
	before := filepath.Join(dir, "before.folded")
	after := filepath.Join(dir, "after.folded")
	os.WriteFile(before, []byte("main;parse 50\nmain;render 50\n"), 0o644)
	os.WriteFile(after, []byte("main;parse 20\nmain;render 80\n"), 0o644)

	code, folded, stderr := flamekit(t, "", "diff", "--folded", before, after)
	if code != 0 {
		t.Fatalf("diff --folded exit %d: %s", code, stderr)
	}
	if folded != "main;parse 50 20\nmain;render 50 80\n" {
		t.Fatalf("diff --folded = %q", folded)
	}
	code, svg, stderr := flamekit(t, "", "diff", "--negate", before, after)
	if code != 0 {
		t.Fatalf("diff exit %d: %s", code, stderr)
	}
	if !strings.Contains(checkSVG(t, []byte(svg)), "main") {
		t.Fatal("differential SVG lacks frames")
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"nosuch"}, 2, "unknown command"},
		{[]string{"render", "/nonexistent/file"}, 1, "no such file"},
		{[]string{"collapse", "--format", "xml"}, 2, "xml"},
		{[]string{"render", "--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"render", "--colors", "nosuchpalette"}, 2, "nosuchpalette"},
		{[]string{"diff", "only-one"}, 2, "two profiles"},
	} {
		code, _, stderr := flamekit(t, "main;a 1\n", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	// Empty input: an SVG that says so, and a non-zero exit.
	code, svg, stderr := flamekit(t, "", "render")
	if code == 0 || !strings.Contains(svg, "No valid input") || stderr == "" {
		t.Errorf("empty input: exit %d, stderr %q, svg has message: %v", code, stderr, strings.Contains(svg, "No valid input"))
	}
	// Garbage: the unknown format is named.
	code, _, stderr = flamekit(t, "\x00\x01\x02 not a profile", "collapse")
	if code == 0 || !strings.Contains(stderr, "format") {
		t.Errorf("garbage input: exit %d, stderr %q", code, stderr)
	}
}

// TestShellPipeline runs the built binary the way the README shows:
// `cat perf.txt | flamekit collapse | flamekit render > out.svg`.
func TestShellPipeline(t *testing.T) {
	perf := realCapture(t)
	bin := flamekitBinary(t)
	svg := filepath.Join(t.TempDir(), "out.svg")
	cmd := exec.Command("sh", "-c", `cat "$1" | "$2" collapse | "$2" render > "$3"`, "sh", perf, bin, svg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pipeline: %v\n%s", err, out)
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(checkSVG(t, b), "entry_SYSCALL_64_after_hwframe") {
		t.Fatal("pipeline SVG lacks a known kernel frame")
	}
	if code := exec.Command(bin, "render", "/nonexistent").Run(); code == nil {
		t.Fatal("unreadable file exited 0")
	}
}
