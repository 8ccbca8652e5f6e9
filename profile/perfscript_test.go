package profile_test

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/symbolize"
)

// FlameScope's regular expressions (app/perf/regexp.py of
// github.com/Netflix/flamescope), restated: a line that event matches
// (searched anywhere in it; its heat map searches frame lines too) starts
// a sample, its first group the time in seconds; frame matches each line
// of a stack, its groups the symbol and the module. (Its comm expression,
// `^ *([^0-9]+)`, names the sample "<unknown>" when it fails, as for a
// comm that starts with a digit, perf's text too.)
var (
	flameScopeEvent = regexp.MustCompile(` +([0-9.]+): .+?:`)
	flameScopeFrame = regexp.MustCompile(`^[\t ]*[0-9a-fA-F]+ (.+) \((.*?)\)$`)
)

// perfScriptProfile is a profile of hand-made samples covering each kind
// of frame line, its timed samples out of time order, their periods summed
// in the samples' Values.
func perfScriptProfile() *profile.Profile {
	native := func(addr uint64, fn, module string) profile.Location {
		return profile.Location{Address: addr, Frames: []symbolize.Frame{{Function: fn, Module: symbolize.Module{Path: module}, Kind: symbolize.KindNative}}}
	}
	kernel := func(addr uint64, fn string) profile.Location {
		return profile.Location{Address: addr, Frames: []symbolize.Frame{{Function: fn, Module: symbolize.Module{Path: symbolize.KernelPath}, Kind: symbolize.KindKernel}}}
	}
	inlined := profile.Location{Address: 0x401180, Frames: []symbolize.Frame{
		{Function: "inner", Inlined: true, Module: symbolize.Module{Path: "/opt/app/bin"}, Kind: symbolize.KindNative},
		{Function: "middle", Inlined: true, Module: symbolize.Module{Path: "/opt/app/bin"}, Kind: symbolize.KindNative},
		{Function: "outer", Module: symbolize.Module{Path: "/opt/app/bin"}, Kind: symbolize.KindNative},
	}}
	jit := profile.Location{Address: 0x7f0000001000, Frames: []symbolize.Frame{{Function: "LazyCompile:*hot app.js:3", Module: symbolize.Module{Path: "/tmp/perf-77.map"}, Kind: symbolize.KindJIT}}}
	unnamed := profile.Location{Address: 0x7f1000002000, Frames: []symbolize.Frame{{Module: symbolize.Module{Path: "/usr/lib/libx.so"}, Offset: 0x2000}}}
	nowhere := profile.Location{Address: 0xdead, Frames: []symbolize.Frame{{}}}
	p := &profile.Profile{
		Event: profile.Event{Name: "cpu-clock", Unit: "nanoseconds"}, Frequency: 99,
		Start: time.Unix(1700000000, 0), StartMonotonic: 31389*time.Second + 436544123*time.Nanosecond, Duration: 3 * time.Second,
		Samples: []profile.Sample{
			{PID: 42, Comm: "app", User: []profile.Location{inlined, native(0x401000, "main", "/opt/app/bin")},
				Kernel: []profile.Location{kernel(0xffffffff815e7b2c, "clear_page_erms"), kernel(0xffffffff8163d350, "asm_exc_page_fault")}},
			{PID: 42, Comm: "Web Content 2", User: []profile.Location{native(0x401100, "std::vector<int>::push_back(int const&)", "/opt/app/bin"), native(0x401000, "main", "/opt/app/bin")}},
			{PID: 77, Comm: "node", User: []profile.Location{jit, unnamed, nowhere}},
			{PID: 0, Comm: "swapper/1", Kernel: []profile.Location{kernel(0xffffffff81051586, "native_safe_halt")}},
		},
		Timed: []profile.TimedSample{
			{Time: 2 * time.Second, CPU: 1, PID: 77, TID: 78, Sample: 2, Value: 10101010},
			{Time: 1500 * time.Microsecond, CPU: 0, PID: 42, TID: 43, Sample: 0, Value: 10101010},
			{Time: 1*time.Second + 999999*time.Nanosecond, CPU: 12, PID: 42, TID: 42, Sample: 1, Value: 10101010},
			{Time: 1500 * time.Microsecond, CPU: 3, PID: 0, TID: 0, Sample: 3, Value: 10101011},
			{Time: 2 * time.Second, CPU: 0, PID: 42, TID: 43, Sample: 0, Value: 10101010},
		},
	}
	for _, ts := range p.Timed {
		p.Samples[ts.Sample].Count++
		p.Samples[ts.Sample].Value += ts.Value
	}
	return p
}

// TestWritePerfScript writes hand-made samples: each line as perf script
// prints it, in time order (samples of one time in the order given).
func TestWritePerfScript(t *testing.T) {
	var b bytes.Buffer
	if err := perfScriptProfile().WritePerfScript(&b); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"app    42/43    [000] 31389.438044:   10101010 cpu-clock: \n" +
		"\tffffffff815e7b2c clear_page_erms ([kernel.kallsyms])\n" +
		"\tffffffff8163d350 asm_exc_page_fault ([kernel.kallsyms])\n" +
		"\t          401180 outer->middle->inner (/opt/app/bin)\n" +
		"\t          401000 main (/opt/app/bin)\n" +
		"\n" +
		"swapper/1     0/0     [003] 31389.438044:   10101011 cpu-clock: \n" +
		"\tffffffff81051586 native_safe_halt ([kernel.kallsyms])\n" +
		"\n" +
		"Web Content_2    42/42    [012] 31390.437544:   10101010 cpu-clock: \n" +
		"\t          401100 std::vector<int>::push_back(int const&) (/opt/app/bin)\n" +
		"\t          401000 main (/opt/app/bin)\n" +
		"\n" +
		"node    77/78    [001] 31391.436544:   10101010 cpu-clock: \n" +
		"\t    7f0000001000 LazyCompile:*hot app.js:3 (/tmp/perf-77.map)\n" +
		"\t    7f1000002000 [unknown] (/usr/lib/libx.so)\n" +
		"\t            dead [unknown] ([unknown])\n" +
		"\n" +
		"app    42/43    [000] 31391.436544:   10101010 cpu-clock: \n" +
		"\tffffffff815e7b2c clear_page_erms ([kernel.kallsyms])\n" +
		"\tffffffff8163d350 asm_exc_page_fault ([kernel.kallsyms])\n" +
		"\t          401180 outer->middle->inner (/opt/app/bin)\n" +
		"\t          401000 main (/opt/app/bin)\n" +
		"\n"
	if b.String() != want {
		t.Errorf("perf script text:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestPerfScriptReaders reads the text of hand-made samples as its
// readers do: package collapse folds it to the stacks Folded gives (the
// argument list it tidies away aside), and FlameScope's expressions find
// every sample, its time, comm and frames.
func TestPerfScriptReaders(t *testing.T) {
	p := perfScriptProfile()
	var b bytes.Buffer
	if err := p.WritePerfScript(&b); err != nil {
		t.Fatal(err)
	}
	got, _, err := collapse.Perf(bytes.NewReader(b.Bytes()), collapse.PerfOptions{Kernel: true, JIT: true})
	if err != nil {
		t.Fatal(err)
	}
	var folded strings.Builder
	p.Folded(profile.FoldOptions{Values: true}).WriteTo(&folded)
	// stackcollapse-perf.pl, and collapse, drop C++ argument lists.
	want := strings.ReplaceAll(folded.String(), "push_back(int const&)", "push_back")
	if s := foldedText(got); s != want {
		t.Errorf("collapsed:\n%s\nwant (Folded by values):\n%s", s, want)
	}
	checkFlameScope(t, b.String(), len(p.Timed))
}

// foldedText is p in folded form.
func foldedText(p *flamegraph.Profile) string {
	var b strings.Builder
	p.WriteTo(&b)
	return b.String()
}

// checkFlameScope reads perf script text as FlameScope does: n samples,
// each header found by its event expression (with a time in seconds, in
// order), each frame line matched by its frame expression and not by the
// event's. It returns the samples' times.
func checkFlameScope(t *testing.T, text string, n int) []float64 {
	t.Helper()
	var times []float64
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case line == "":
		case line[0] == '\t':
			if !flameScopeFrame.MatchString(line) {
				t.Errorf("line %d: FlameScope's frame expression does not match %q", i+1, line)
			}
			if flameScopeEvent.MatchString(line) {
				t.Errorf("line %d: FlameScope would take frame line %q for a sample", i+1, line)
			}
		default:
			m := flameScopeEvent.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("line %d: FlameScope's expressions do not match header %q", i+1, line)
				continue
			}
			ts, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				t.Errorf("line %d: time %q: %v", i+1, m[1], err)
			}
			if len(times) > 0 && ts < times[len(times)-1] {
				t.Errorf("line %d: time %s before the previous sample's %.6f", i+1, m[1], times[len(times)-1])
			}
			times = append(times, ts)
		}
	}
	if len(times) != n {
		t.Errorf("FlameScope finds %d samples, want %d", len(times), n)
	}
	return times
}

// TestWritePerfScriptNotTimed writes a profile recorded without
// Options.Timed: an error, and nothing written; a profile without samples
// writes nothing; one whose timed sample names no sample (the last, in time
// order) is an error, before anything is written.
func TestWritePerfScriptNotTimed(t *testing.T) {
	p := perfScriptProfile()
	p.Timed = nil
	var b bytes.Buffer
	err := p.WritePerfScript(&b)
	if !errors.Is(err, profile.ErrNotTimed) || b.Len() > 0 {
		t.Errorf("untimed profile: error %v, %d bytes written; want ErrNotTimed and nothing", err, b.Len())
	}
	if err == nil || strings.Count(err.Error(), "profile: ") != 1 {
		t.Errorf("error %q: want the package prefix once", err)
	}
	if err := (&profile.Profile{}).WritePerfScript(&b); err != nil || b.Len() > 0 {
		t.Errorf("empty profile: error %v, %d bytes written; want neither", err, b.Len())
	}
	p = perfScriptProfile()
	for i := range 1000 { // more text than a write buffer holds
		p.Timed = append(p.Timed, profile.TimedSample{Time: 3*time.Second + time.Duration(i)*time.Millisecond, Sample: i % len(p.Samples)})
	}
	p.Timed[len(p.Timed)-1].Sample = len(p.Samples)
	if err := p.WritePerfScript(&b); err == nil || !strings.Contains(err.Error(), "names sample 4 of 4") || b.Len() > 0 {
		t.Errorf("timed sample of no sample: error %v, %d bytes written; want an error and nothing", err, b.Len())
	}
}

// blanksAsUnderscores makes each space, tab, vertical tab and form feed
// of s an underscore.
func blanksAsUnderscores(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\v' || r == '\f' {
			return '_'
		}
		return r
	}, s)
}

// TestWritePerfScriptWriteError gives a writer that fails: its error,
// wrapped once.
func TestWritePerfScriptWriteError(t *testing.T) {
	boom := errors.New("disk full")
	err := perfScriptProfile().WritePerfScript(failingWriter{boom})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "profile: writing perf script: ") {
		t.Errorf("error %v, want the writer's, wrapped", err)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// FuzzPerfScriptNames writes a sample of any comm and function name: the
// text still has one sample for collapse and FlameScope, under the root
// frame Folded gives (but for a leading '#', which would make a comment,
// and blanks other than spaces, which Folded keeps).
func FuzzPerfScriptNames(f *testing.F) {
	for _, seed := range [][2]string{
		{"app", "main"}, {"Web Content 2", "f"}, {"a 1/2 b", "g h"}, {" x", "a;b"}, {"", ""},
		{"#x", "f"}, {"a\nb", "line\nbreak"}, {"9", "operator->"}, {"java", "Lfoo/Bar;.baz (x)"}, {"0 ", "f"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, comm, fn string) {
		loc := profile.Location{Address: 0x1000, Frames: []symbolize.Frame{{Function: fn, Module: symbolize.Module{Path: "/bin/x"}, Kind: symbolize.KindNative}}}
		p := &profile.Profile{
			Event:   profile.Event{Name: "cpu-clock", Unit: "nanoseconds"},
			Samples: []profile.Sample{{PID: 5, Comm: comm, User: []profile.Location{loc}, Count: 1, Value: 1000}},
			Timed:   []profile.TimedSample{{Time: time.Millisecond, PID: 5, TID: 5, Value: 1000}},
		}
		var b bytes.Buffer
		if err := p.WritePerfScript(&b); err != nil {
			t.Fatal(err)
		}
		got, st, err := collapse.Perf(bytes.NewReader(b.Bytes()), collapse.PerfOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Perf.Samples != 1 || len(got.Stacks) != 1 {
			t.Fatalf("collapse read %d samples, %d stacks of:\n%q", st.Perf.Samples, len(got.Stacks), b.String())
		}
		root, _, _ := strings.Cut(p.Folded(profile.FoldOptions{}).Stacks[0].Frames, ";")
		gotRoot, _, _ := strings.Cut(got.Stacks[0].Frames, ";")
		if strings.HasPrefix(root, "#") {
			root = "_" + root[1:]
		}
		if blanksAsUnderscores(gotRoot) != blanksAsUnderscores(root) {
			t.Errorf("collapse's root frame %q, want Folded's %q, of:\n%q", gotRoot, root, b.String())
		}
		// A name with " 1.5: x:" in it would look like a header to
		// FlameScope's heat map, as it does in perf's text.
		if !flameScopeEvent.MatchString(" " + fn) {
			checkFlameScope(t, b.String(), 1)
		}
	})
}
