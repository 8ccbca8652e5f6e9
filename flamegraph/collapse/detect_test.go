package collapse

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse/internal/stream"
)

// readMaybeGzip returns a file's contents, decompressed if it is gzipped.
func readMaybeGzip(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !stream.IsGzip(data) {
		return data
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// realInputs lists real files of every format, with the format each is.
func realInputs(t testing.TB) map[string]Format {
	t.Helper()
	in := map[string]Format{"../../testdata/perf-script-real.txt.gz": FormatPerf}
	for dir, f := range map[string]Format{
		"testdata/bpftrace/*.txt":   FormatBpftrace,
		"testdata/bcc/*.folded":     FormatFolded,
		"testdata/bpftrace/*.fold*": FormatFolded,
		"testdata/pprof/*.pb.gz":    FormatPprof,
	} {
		files, _ := filepath.Glob(dir)
		if len(files) == 0 {
			t.Fatalf("no test files %s", dir)
		}
		for _, name := range files {
			if st, err := os.Stat(name); err == nil && st.Size() > 0 {
				in[name] = f // (the perl folds maps-mixed.txt to nothing)
			}
		}
	}
	return in
}

func TestDetectReal(t *testing.T) {
	for name, want := range realInputs(t) {
		data := readMaybeGzip(t, name)
		head := data[:min(len(data), sniffSize)]
		if got, _ := detect(head, len(head) == len(data)); got != want {
			t.Errorf("%s: detected %q, want %q", name, got, want)
		}
		// The raw bytes: gzip is left to Read to open, except for pprof,
		// whose parser opens it.
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if stream.IsGzip(raw) {
			if got, _ := detect(raw[:min(len(raw), sniffSize)], len(raw) <= sniffSize); got != FormatPprof {
				t.Errorf("%s gzipped: detected %q, want pprof", name, got)
			}
		}
	}
}

func TestDetect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	tests := []struct {
		name string
		in   string
		want Format
	}{
		{"empty", "", ""},
		{"blank lines", "\n\n \n", ""},
		{"random bytes", string(noise), ""},
		{"prose", "Hello, world.\nThis is not a profile.\n", ""},
		{"json", `{"nodes": [{"callFrame": {}}]}`, ""},
		{"a NUL", "a;b 1\n\x00", ""},
		{"folded", "main;run;work 42\nmain;idle 3\n", FormatFolded},
		{"folded with comment and CRLF", "# from bcc\r\nmain;run 1.5\r\n", FormatFolded},
		{"differential folded", "main;run 3 5\n", FormatFolded},
		{"bpftrace", "Attaching 1 probe...\n\n\n@[\n    f+1\n]: 3\n", FormatBpftrace},
		{"bpftrace named map", "@bytes[bash]: 42\n", FormatBpftrace},
		{"bpftrace scalar", "@count: 42\n", FormatBpftrace},
		{"bpftrace nothing printed", "Attaching 2 probes...\n", FormatBpftrace},
		{"perf with stacks", "go  9193 [000]   369.957111:    1001001 cpu-clock: \n\tffffffff81bdb11c iowrite16+0xc ([kernel.kallsyms])\n", FormatPerf},
		{"perf without time", "go 9193 cpu-clock:\n\t4dd224 main.main+0x24 (/tmp/x)\n", FormatPerf},
		{"perf without stacks", "bash 1201/1201 [001] 12.345678: 1 cycles:  ffffffff8102 native_write_msr+0x2 ([kernel.kallsyms])\n", FormatPerf},
		{"perf script --header", "# ========\n# captured on    : Thu Nov 27\n# ========\n#\njava 4242/4250 [003] 100.000001: 250000 cpu-clock:u: \n\t7f00 Interpreter (/tmp/perf-4242.map)\n", FormatPerf},
		{"pprof-like protobuf", "\x0a\x04\x08\x01\x10\x02\x12\x03\x08\x01\x10", FormatPprof},
		{"protobuf with a foreign field", "\x0a\x02\x08\x01\x82\x01\x00", ""},
		{"protobuf cut short but complete input", "\x0a\x09\x08\x01", ""},
	}
	for _, tt := range tests {
		if got, more := detect([]byte(tt.in), true); got != tt.want || more {
			t.Errorf("%s: detected %q (more %v), want %q", tt.name, got, more, tt.want)
		}
		// Every prefix of a text input, as a sniff window cut it, detects
		// the same or asks for more.
		if !isText([]byte(tt.in)) {
			continue
		}
		for n := range len(tt.in) + 1 {
			if got, more := detect([]byte(tt.in[:n]), false); !more && got != tt.want {
				t.Errorf("%s: the first %d bytes %q detect %q, want %q or a request for more", tt.name, n, tt.in[:n], got, tt.want)
			}
		}
	}
	// A protobuf prefix cut by the sniff window is still pprof.
	if got, _ := detect([]byte("\x0a\x09\x08\x01"), false); got != FormatPprof {
		t.Errorf("cut protobuf: detected %q, want pprof", got)
	}
	// A whole input cut after a field is a pprof profile cut short.
	if got, _ := detect([]byte("\x0a\x02\x08\x01\x0a\x09\x08\x01"), true); got != FormatPprof {
		t.Errorf("protobuf cut after a field: detected %q, want pprof", got)
	}
	// Windows that end before the line that decides ask for more.
	for _, in := range []string{"", "main;run;wo", "main;run;work 42", "# only a comment\n", "\n\n",
		"go 9193 cpu-clock:\n", "go 9193 cpu-clock:\n\t4dd2", "go 9193 [000] 369.957111:"} {
		if got, more := detect([]byte(in), false); got != "" || !more {
			t.Errorf("window %q: detected %q (more %v), want a request for more", in, got, more)
		}
	}
}

func TestReadAllFormats(t *testing.T) {
	for name, want := range realInputs(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		p, st, err := Read(bytes.NewReader(data), Options{})
		if got := st.Format; got != want {
			t.Errorf("%s: Read used %q, want %q", name, st.Format, want)
			continue
		}
		// Read must give what the format's own reader gives on the
		// (decompressed) input: the sniffed bytes are not lost.
		plain := readMaybeGzip(t, name)
		wantP, wantErr := readAs(bytes.NewReader(plain), want)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("%s: Read error %v, reader error %v", name, err, wantErr)
			continue
		}
		if err != nil {
			continue // the reader itself fails (being written)
		}
		if a, b := foldedText(t, p), foldedText(t, wantP); a != b || p.Total() == 0 {
			t.Errorf("%s: Read and the %s reader differ (or are empty): %d vs %d bytes", name, want, len(a), len(b))
		}
		// An explicit format gives the same.
		p2, st2, err := Read(bytes.NewReader(data), Options{Format: want})
		if err != nil || st2.Format != want || foldedText(t, p2) != foldedText(t, p) {
			t.Errorf("%s: Read with Format %q: %v, %q", name, want, err, st2.Format)
		}
	}
}

// readAs calls the reader of a format directly.
func readAs(r io.Reader, f Format) (p *flamegraph.Profile, err error) {
	switch f {
	case FormatPerf:
		p, _, err = Perf(r, PerfOptions{})
	case FormatPprof:
		p, _, err = Pprof(r, PprofOptions{})
	case FormatBpftrace:
		p, _, err = Bpftrace(r, BpftraceOptions{})
	default:
		p, err = flamegraph.Parse(r)
	}
	return p, err
}

// TestReadLongFirstRecord checks inputs whose first record is longer than
// the first sniff window, or ends just past it: a folded stack of 100 KB and
// of 10 MB, made of real frames; a perf script capture and bpftrace output
// after a header comment of up to 200 KB; a bpftrace entry of 100 KB. Read
// must detect the format and give what the format's reader gives.
func TestReadLongFirstRecord(t *testing.T) {
	bcc := readMaybeGzip(t, "testdata/bcc/profile-f.folded")
	first, _, _ := bytes.Cut(bcc, []byte("\n"))
	frames := first[:bytes.LastIndexByte(first, ' ')]
	longStack := func(size int) []byte {
		b := bytes.Clone(frames)
		for len(b) < size {
			b = append(append(b, ';'), frames...)
		}
		return b
	}
	perf := readMaybeGzip(t, "../../testdata/perf-script-real.txt.gz")
	bpf := readMaybeGzip(t, "testdata/bpftrace/profile-kstack-ustack-comm.txt")
	comment := func(size int) []byte {
		return append(append([]byte("# "), bytes.Repeat([]byte("x"), size-3)...), '\n')
	}
	type input struct {
		name string
		data []byte
		want Format
	}
	var inputs []input
	for _, size := range []int{100 << 10, 10 << 20} {
		stack := longStack(size)
		inputs = append(inputs, input{fmt.Sprintf("folded, first stack %d bytes", len(stack)),
			append(append(stack, " 7\n"...), bcc...), FormatFolded})
	}
	for _, size := range []int{sniffSize - 300, sniffSize - 40, sniffSize - 1, sniffSize + 1, 200 << 10} {
		inputs = append(inputs,
			input{fmt.Sprintf("perf script after a %d-byte comment", size), append(comment(size), perf...), FormatPerf},
			input{fmt.Sprintf("bpftrace after a %d-byte comment", size), append(comment(size), bpf...), FormatBpftrace})
	}
	var entry bytes.Buffer
	entry.WriteString("Attaching 1 probe...\n\n\n@[\n")
	for entry.Len() < 100<<10 {
		entry.WriteString("    do_syscall_64+113\n")
	}
	entry.WriteString(", dd]: 3\n")
	inputs = append(inputs, input{"bpftrace, first entry 100 KB", append(entry.Bytes(), bpf[len("Attaching 2 probes...\n"):]...), FormatBpftrace})

	for _, in := range inputs {
		want, err := readAs(bytes.NewReader(in.data), in.want)
		if err != nil || len(want.Stacks) < 2 {
			t.Fatalf("%s: the %s reader: %v, %d stacks", in.name, in.want, err, len(want.Stacks))
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(in.data)
		zw.Close()
		for _, data := range [][]byte{in.data, gz.Bytes()} {
			p, st, err := Read(bytes.NewReader(data), Options{})
			if err != nil || st.Format != in.want {
				t.Errorf("%s: Read = %q, %v; want %s", in.name, st.Format, err, in.want)
				continue
			}
			if foldedText(t, p) != foldedText(t, want) {
				t.Errorf("%s: Read and the %s reader differ", in.name, in.want)
			}
		}
	}
}

// FuzzDetect checks that a sniff window never decides differently from the
// whole input: a prefix of a text input detects what the whole input
// detects, or asks for more.
func FuzzDetect(f *testing.F) {
	for name := range realInputs(f) {
		data := readMaybeGzip(f, name)
		f.Add(data[:min(len(data), 4096)], 100)
	}
	f.Add([]byte("go 9193 cpu-clock:\n\t4dd224 main.main+0x24 (/tmp/x)\n"), 20)
	f.Add([]byte("Attaching 1 probe...\ncomm 1 [000] 1.2: cpu-clock:\n\t1 f (x)\n"), 30)
	f.Add([]byte("# c\nmain;a 1\n"), 5)
	// The folded line rule, as a regular expression.
	folded := regexp.MustCompile(`^\S.*[ \t][0-9]+(\.[0-9]+)?[ \t]*$`)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			if isFoldedLine(line) != folded.Match(line) {
				t.Fatalf("isFoldedLine(%q) = %v, the regexp says %v", line, isFoldedLine(line), !isFoldedLine(line))
			}
		}
		whole, more := detect(data, true)
		if more {
			t.Fatalf("a whole input asks for more")
		}
		if cut < 0 || cut > len(data) || !isText(data) {
			return
		}
		if got, more := detect(data[:cut], false); !more && got != whole {
			t.Fatalf("the first %d bytes detect %q, the whole input %q", cut, got, whole)
		}
	})
}
