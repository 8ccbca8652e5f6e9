package collapse

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/golden"
)

// foldedText returns a profile as the folded text WriteTo prints.
func foldedText(t testing.TB, p *flamegraph.Profile) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// stackCounts returns the merged stacks of folded text as stack → count.
func stackCounts(t testing.TB, text string) map[string]float64 {
	t.Helper()
	p, err := flamegraph.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if p.Skipped.Lines > 0 {
		t.Fatalf("folded text has bad lines: %s", p.Skipped)
	}
	m := map[string]float64{}
	for _, s := range p.Stacks {
		m[s.Frames] += s.Count
	}
	return m
}

// The captures in testdata/bpftrace were recorded on this project's test
// machine with bpftrace v0.17.0 (Debian 12), kernel 6.18:
//
//	profile-kstack-ustack-comm.txt: bpftrace -e 'profile:hz:99 { @[kstack, ustack, comm] = count(); }
//	    interval:s:3 { exit(); }' while a C busy loop (busyprog) and dd ran.
//	maps-mixed.txt: bpftrace -e 'profile:hz:49 /comm == "busyprog"/ { @[comm, kstack] = count();
//	    @pids[pid, comm] = count(); @perf[ustack(perf), comm] = count(); @samples = count();
//	    @hist = hist(nsecs % 1000); } interval:s:2 { exit(); }'
//
// The .perl.folded files are the output of stackcollapse-bpftrace.pl
// (FlameGraph @41fee1f9) on them; the .folded files are Bpftrace's output.
// -update rewrites both: the .folded from Bpftrace, the .perl.folded from
// the FlameGraph checkout at $FLAMEGRAPH_DIR.
func TestBpftraceGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/bpftrace/*.txt")
	if len(files) < 2 {
		t.Fatalf("want the bpftrace captures in testdata/bpftrace, found %v", files)
	}
	for _, in := range files {
		t.Run(filepath.Base(in), func(t *testing.T) {
			f, err := os.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, _, err := Bpftrace(f, BpftraceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := foldedText(t, p)
			goldenPath := strings.TrimSuffix(in, ".txt") + ".folded"
			if *update {
				golden.Write(t, goldenPath, []byte(got))
			}
			if want := golden.Read(t, goldenPath); got != string(want) {
				t.Errorf("Bpftrace(%s) differs from %s:\n%s", in, goldenPath, got)
			}
			// Every entry's value is counted once: the total is the sum of
			// the values the input prints, less the skipped histogram.
			if want := sumValues(t, in); p.Total() != want {
				t.Errorf("total %v, want %v (the sum of the entries' values)", p.Total(), want)
			}
		})
	}
}

// sumValues adds the values of every map entry in a bpftrace output file
// (lines ending in "]: N" or "@name: N").
func sumValues(t *testing.T, path string) float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)(\]|^@\w*): ([0-9]+)$`)
	var sum float64
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		sum += v
	}
	return sum
}

// TestBpftraceMatchesPerl compares Bpftrace with stackcollapse-bpftrace.pl on
// a real @[kstack, ustack, comm] capture. The perl keeps ", " between the
// kernel and user stacks where Bpftrace writes "-", keeps a ", " before the
// comm when the user stack is empty, and drops every entry whose kernel stack
// is empty (those starting "@[, "); everything else must be identical.
func TestBpftraceMatchesPerl(t *testing.T) {
	const in = "testdata/bpftrace/profile-kstack-ustack-comm.txt"
	perlPath := strings.TrimSuffix(in, ".txt") + ".perl.folded"
	if *update {
		abs, err := filepath.Abs(in)
		if err != nil {
			t.Fatal(err)
		}
		golden.Write(t, perlPath, golden.FlameGraph(t, "stackcollapse-bpftrace.pl", abs))
	}
	perl := golden.Read(t, perlPath)
	norm := strings.NewReplacer(";, ;", ";-;").Replace(string(perl))
	norm = regexp.MustCompile(`(?m)^, `).ReplaceAllString(norm, "")
	want := stackCounts(t, norm)

	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, _, err := Bpftrace(f, BpftraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Skipped.Lines != 0 {
		t.Errorf("skipped lines in a real capture: %s", p.Skipped)
	}
	got := stackCounts(t, foldedText(t, p))
	var extra float64
	for stack, n := range got {
		w, ok := want[stack]
		switch {
		case !ok:
			extra += n
		case w != n:
			t.Errorf("stack %q: count %v, perl %v", stack, n, w)
		}
	}
	for stack := range want {
		if _, ok := got[stack]; !ok {
			t.Errorf("perl has stack %q, Bpftrace does not", stack)
		}
	}
	// What the perl drops: the entries without a kernel stack.
	data, _ := os.ReadFile(in)
	re := regexp.MustCompile(`(?s)@\[, \n.*?\]: ([0-9]+)\n`)
	var dropped float64
	for _, m := range re.FindAllSubmatch(data, -1) {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		dropped += v
	}
	if dropped == 0 || extra != dropped {
		t.Errorf("Bpftrace has %v samples the perl lacks; the entries without a kernel stack hold %v", extra, dropped)
	}
	// A user-only sample of the busy loop: comm at the root, then user
	// frames root first.
	if got["busyprog;__libc_start_call_main+122;main+81;spin_leaf+31"] != 99 {
		t.Errorf("missing the user-only busyprog stack with 99 samples")
	}
}

func TestBpftrace(t *testing.T) {
	tests := []struct {
		name, in, want string
		skipped        int
	}{{
		name: "perl's example",
		in:   "@[\n_raw_spin_lock_bh+0\ntcp_recvmsg+808\ninet_recvmsg+81\n]: 3\n",
		// The perl's own example has no indentation.
		want: "inet_recvmsg+81;tcp_recvmsg+808;_raw_spin_lock_bh+0 3\n",
	}, {
		name: "kstack ustack comm",
		in: "Attaching 2 probes...\n\n\n@[\n    k2+1\n    k1+2\n, \n    u2+3\n    u1+4\n, comm a]: 7\n" +
			"@[, \n    u2+3\n    u1+4\n, comm a]: 2\n@[\n    k1+2\n, , kworker/0:1]: 1\n",
		want: "comm a;u1+4;u2+3 2\ncomm a;u1+4;u2+3;-;k1+2;k2+1 7\nkworker/0:1;k1+2 1\n",
	}, {
		name: "scalar first, stack last, empty stack",
		in:   "@[busyprog, \n    k2+1\n    k1+2\n]: 2\n@[busyprog, ]: 320\n",
		want: "busyprog 320\nbusyprog;k1+2;k2+1 2\n",
	}, {
		name: "single-line keys in a named map",
		in:   "@pids[9062, busyprog]: 196\n@pids[1, init]: 4\n",
		want: "1;init 4\n9062;busyprog 196\n",
	}, {
		name: "ustack(perf) with tabs and CRLF",
		in:   "@perf[\r\n\t55adb12e61ef do_syscalls+34 (/tmp/bt/busyprog)\r\n\t7f5f2396d24a __libc_start_call_main+122 (/usr/lib/libc.so.6)\r\n, busyprog]: 1\r\n",
		want: "busyprog;7f5f2396d24a __libc_start_call_main+122 (/usr/lib/libc.so.6);55adb12e61ef do_syscalls+34 (/tmp/bt/busyprog) 1\n",
	}, {
		name: "several maps get their names; histogram skipped",
		in: "@[a]: 1\n@count: 5\n@hist: \n[4, 8)               2 |@@@@|\n[8, 16)              1 |@@  |\n\n" +
			"@s[\n    f+1\n, x]: 2\n",
		want:    "@;a 1\n@count 5\n@s;x;f+1 2\n",
		skipped: 3,
	}, {
		name: "a scalar map alone is named after itself",
		in:   "@samples: 205\n",
		want: "@samples 205\n",
	}, {
		name:    "an entry cut short is skipped, the next one read",
		in:      "@[\n    f+1\n@[\n    g+1\n]: 4\n@[\n    h+1\n",
		want:    "g+1 4\n",
		skipped: 2,
	}, {
		name:    "bad values",
		in:      "@[a]: -3\n@[b]: 1.5.1\n@c: x\n@[d]: 2.5\n",
		want:    "d 2.5\n",
		skipped: 3,
	}, {
		name: "semicolons become colons",
		in:   "@[\n    std::a<int;int>+1\n, x;y]: 1\n",
		want: "x:y;std::a<int:int>+1 1\n",
	}, {
		name:    "garbage",
		in:      "hello\n]: 3\n, x]: 1\n\x00\x01\n",
		skipped: 4,
	}, {
		name: "empty",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := Bpftrace(strings.NewReader(tt.in), BpftraceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := foldedText(t, p); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if p.Skipped.Lines != tt.skipped {
				t.Errorf("skipped %d lines, want %d (%s)", p.Skipped.Lines, tt.skipped, p.Skipped)
			}
		})
	}
}

func TestBpftraceLongLine(t *testing.T) {
	long := strings.Repeat("x", maxLine+100)
	in := "@[\n    " + long + "\n]: 3\n@[ok]: 1\n"
	p, _, err := Bpftrace(strings.NewReader(in), BpftraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := foldedText(t, p); got != "ok 1\n" {
		t.Errorf("got %q", got)
	}
	if p.Skipped.Lines != 2 || p.Skipped.FirstLine != 2 || len(p.Skipped.First) != 200 {
		t.Errorf("skipped %+v, want lines 2 and 3 (the long frame, then the orphan end)", p.Skipped)
	}
}

func TestBpftraceReadError(t *testing.T) {
	_, _, err := Bpftrace(&errReader{data: "@[a]: 1\n"}, BpftraceOptions{})
	if err == nil || !strings.Contains(err.Error(), "bpftrace") {
		t.Errorf("want a read error, got %v", err)
	}
}

// errReader returns its data, then an error.
type errReader struct{ data string }

func (r *errReader) Read(b []byte) (int, error) {
	if r.data == "" {
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(b, r.data)
	r.data = r.data[n:]
	return n, nil
}

func FuzzBpftrace(f *testing.F) {
	files, _ := filepath.Glob("testdata/bpftrace/*.txt")
	for _, in := range files {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("@[a, b]: 1\n@x: 2\n@[\n f\n, \n g\n, c]: 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := Bpftrace(bytes.NewReader(data), BpftraceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Stacks {
			if s.Frames == "" || strings.ContainsAny(s.Frames, "\r\n") || s.Count < 0 {
				t.Fatalf("bad stack %q %v", s.Frames, s.Count)
			}
		}
	})
}
