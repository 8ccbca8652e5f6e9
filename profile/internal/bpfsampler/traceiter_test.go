package bpfsampler

import (
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// kallsymsSample is the part of a kernel's /proc/kallsyms around the
// iterators, with function padding (__pfx_), a module's symbol and lines
// to skip.
const kallsymsSample = `ffffffff813a59e0 T __probestub_sched_wakeup
ffffffff813a59f0 T __pfx___traceiter_sched_waking
ffffffff813a5a00 T __traceiter_sched_waking
ffffffff813a5a00 t alias_at_the_same_address
ffffffff813a5a70 T __pfx___probestub_sched_waking
ffffffff813a5ae0 T __pfx___traceiter_sched_switch
ffffffff813a5af0 T __traceiter_sched_switch
not a line
ffffffff813a5b60 T __pfx___probestub_sched_switch
ffffffffc0a01000 t __traceiter_sched_switch	[some_module]
`

// TestReadTraceitersFormat reads the iterators from kallsyms text: each
// ends where the next symbol at a higher address starts; a module's
// function of the same name, hidden (zero) addresses, a function with no
// symbol after it and malformed lines give nothing.
func TestReadTraceitersFormat(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       traceiters
	}{
		{"kernel", kallsymsSample, traceiters{{0xffffffff813a5a00, 0xffffffff813a5a70}, {0xffffffff813a5af0, 0xffffffff813a5b60}}},
		{"hidden", "0000000000000000 T __traceiter_sched_switch\n0000000000000000 T next\n", nil},
		{"last", "ffffffff813a5af0 T __traceiter_sched_switch\n", nil},
		{"module only", "ffffffffc0a01000 t __traceiter_sched_switch\t[m]\nffffffffc0a01100 t next\t[m]\n", nil},
		{"bad address", "ffffffff813a5xf0 T __traceiter_sched_switch\nffffffff813a5b60 T next\n", nil},
		{"empty", "", nil},
	} {
		got, err := readTraceiters(strings.NewReader(c.text), schedTraceiters)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %x, %v; want %x", c.name, got, err, c.want)
		}
	}
}

// TestReadTraceitersTooLongLine gives a line longer than kallsyms has:
// an error that says so, not a panic.
func TestReadTraceitersTooLongLine(t *testing.T) {
	_, err := readTraceiters(strings.NewReader("ffffffff813a5af0 T "+strings.Repeat("x", 1<<17)+"\n"), schedTraceiters)
	if err == nil || !strings.HasPrefix(err.Error(), "reading kallsyms: ") {
		t.Errorf("error %v, want one about reading kallsyms", err)
	}
}

// TestTraceitersTrim drops a leaf frame in an iterator, and no other.
func TestTraceitersTrim(t *testing.T) {
	it := traceiters{{0x1000, 0x1070}, {0x2000, 0x2060}}
	for _, c := range []struct{ frames, want []uint64 }{
		{[]uint64{0x1040, 0x5000, 0x6000}, []uint64{0x5000, 0x6000}},
		{[]uint64{0x2000, 0x5000}, []uint64{0x5000}},
		{[]uint64{0x2060, 0x5000}, []uint64{0x2060, 0x5000}},
		{[]uint64{0x5000, 0x1040}, []uint64{0x5000, 0x1040}},
		{[]uint64{0x1040}, []uint64{}},
		{nil, nil},
	} {
		if got := it.trim(c.frames); !slices.Equal(got, c.want) {
			t.Errorf("trim(%x) = %x, want %x", c.frames, got, c.want)
		}
	}
	if got := traceiters(nil).trim([]uint64{0x1040}); !slices.Equal(got, []uint64{0x1040}) {
		t.Errorf("no iterators: trim dropped a frame: %x", got)
	}
}

// TestKernelTraceiters reads this kernel's iterators: each starts at its
// symbol and ends at the next symbol's address, as the test's own reading
// of /proc/kallsyms has them (in address order).
func TestKernelTraceiters(t *testing.T) {
	testenv.RequireRoot(t) // kallsyms hides the addresses from others
	testenv.RequireFile(t, "/proc/kallsyms", "a kernel with CONFIG_KALLSYMS")
	ks := readKallsyms(t)
	got := kernelTraceiters()
	if len(got) != len(schedTraceiters) {
		t.Fatalf("iterators %x, want %d", got, len(schedTraceiters))
	}
	var names []string
	for _, r := range got {
		name := ks.name(r.start)
		names = append(names, name)
		j := sort.Search(len(ks.addrs), func(j int) bool { return ks.addrs[j] > r.start })
		if j == len(ks.addrs) || ks.addrs[j] != r.end || ks.addrs[j-1] != r.start {
			t.Errorf("iterator [%x, %x) (%s): want it from its symbol up to the next symbol", r.start, r.end, name)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, schedTraceiters) {
		t.Errorf("iterators of %q, want %q", names, schedTraceiters)
	}
}

// FuzzReadTraceiters reads arbitrary text as kallsyms: no panic, and every
// function found is a wanted name's, with an end past its start.
func FuzzReadTraceiters(f *testing.F) {
	f.Add(kallsymsSample)
	f.Add("ffffffff813a5af0 T __traceiter_sched_switch\nffffffff813a5af0 T __traceiter_sched_waking\nffffffff813a5b00 T x\n")
	f.Add("0 T __traceiter_sched_switch\n1 T x")
	if b, err := os.ReadFile("/proc/kallsyms"); err == nil && len(b) > 0 {
		f.Add(string(b[:min(len(b), 1<<16)]))
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := readTraceiters(strings.NewReader(text), schedTraceiters)
		if err != nil {
			return
		}
		for _, r := range got {
			if r.end <= r.start {
				t.Errorf("iterator [%x, %x) ends before it starts", r.start, r.end)
			}
		}
		if len(got) > strings.Count(text, "__traceiter_sched_") {
			t.Errorf("%d iterators from %d names", len(got), strings.Count(text, "__traceiter_sched_"))
		}
	})
}

// BenchmarkReadTraceiters reads the iterators from this kernel's
// /proc/kallsyms, as the first off-CPU session of a process does.
func BenchmarkReadTraceiters(b *testing.B) {
	testenv.RequireRoot(b)
	for b.Loop() {
		f, err := os.Open("/proc/kallsyms")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := readTraceiters(f, schedTraceiters); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
