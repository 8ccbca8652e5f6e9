package pmc

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// layout is a recorded read() with what an independent decoder saw in it.
type layout struct {
	name   string
	format uint64
	bytes  []byte
	want   RawRead
}

// layouts reads testdata/read/layouts.txt.
func layouts(tb testing.TB) []layout {
	tb.Helper()
	f, err := os.Open("testdata/read/layouts.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var ls []layout
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") || line == "":
		case strings.HasPrefix(line, "  "):
			l := &ls[len(ls)-1]
			fields := strings.Fields(line)
			l.want.Enabled, _ = strconv.ParseUint(fields[0], 10, 64)
			l.want.Running, _ = strconv.ParseUint(fields[1], 10, 64)
			for _, v := range fields[2:] {
				var rv RawValue
				if _, err := fmt.Sscanf(v, "%d/%d/%d", &rv.Value, &rv.ID, &rv.Lost); err != nil {
					tb.Fatalf("%s: %v", line, err)
				}
				l.want.Values = append(l.want.Values, rv)
			}
		default:
			fields := strings.Fields(line)
			format, err1 := strconv.ParseUint(fields[1], 0, 64)
			b, err2 := hex.DecodeString(fields[2])
			if len(fields) != 3 || err1 != nil || err2 != nil {
				tb.Fatalf("bad layout line %q", line)
			}
			ls = append(ls, layout{name: fields[0], format: format, bytes: b})
		}
	}
	if len(ls) == 0 {
		tb.Fatal("no layouts")
	}
	return ls
}

// TestDecodeReadLayouts decodes every recorded layout, group and single,
// with and without times, ids and lost counts, as an independent decoder
// did.
func TestDecodeReadLayouts(t *testing.T) {
	for _, l := range layouts(t) {
		got, err := DecodeRead(l.bytes, l.format)
		if err != nil {
			t.Errorf("%s: %v", l.name, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(l.want) {
			t.Errorf("%s: got %+v, want %+v", l.name, got, l.want)
		}
	}
}

// TestDecodeReadMalformed: bytes that do not match the format are an
// error wrapping ErrMalformedRead, never a panic or a short result.
func TestDecodeReadMalformed(t *testing.T) {
	for _, l := range layouts(t) {
		for _, cut := range []int{0, 1, 8, len(l.bytes) - 1} {
			if cut >= len(l.bytes) {
				continue
			}
			if _, err := DecodeRead(l.bytes[:cut], l.format); !errors.Is(err, ErrMalformedRead) {
				t.Errorf("%s cut to %d bytes: err %v", l.name, cut, err)
			}
		}
		if _, err := DecodeRead(append(l.bytes[:len(l.bytes):len(l.bytes)], 0), l.format); !errors.Is(err, ErrMalformedRead) {
			t.Errorf("%s with a byte more: err %v", l.name, err)
		}
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<62)
	if _, err := DecodeRead(huge, FormatGroup); !errors.Is(err, ErrMalformedRead) {
		t.Errorf("a group announcing 2^62 values: err %v", err)
	}
	if _, err := DecodeRead(make([]byte, 8), 1<<9); !errors.Is(err, ErrMalformedRead) {
		t.Errorf("an unknown format bit: err %v", err)
	}
	run := binary.LittleEndian.AppendUint64(nil, 5)
	run = binary.LittleEndian.AppendUint64(run, 10)
	run = binary.LittleEndian.AppendUint64(run, 20)
	if _, err := DecodeRead(run, FormatTotalTimeEnabled|FormatTotalTimeRunning); !errors.Is(err, ErrMalformedRead) {
		t.Errorf("running longer than enabled: err %v", err)
	}
}

// countsOf turns a decoded group read into counts, as Counter.Read does.
func countsOf(r RawRead) []Count {
	var cs []Count
	for _, v := range r.Values {
		cs = append(cs, Count{Raw: v.Value, Enabled: r.Enabled, Running: r.Running})
	}
	return cs
}

// TestScaling: a group on the PMU a quarter of its enabled time is scaled
// by 4 and its running share is 25%; a group never scheduled is
// NotCounted, with no value rather than 0; a recorded group that ran all
// its time is its raw value.
func TestScaling(t *testing.T) {
	byName := map[string]layout{}
	for _, l := range layouts(t) {
		byName[l.name] = l
	}
	decode := func(name string) []Count {
		l := byName[name]
		r, err := DecodeRead(l.bytes, l.format)
		if err != nil {
			t.Fatal(err)
		}
		return countsOf(r)
	}
	mux := decode("group-multiplexed")
	for i, want := range []float64{16e6, 36e6} {
		got, ok := mux[i].Scaled()
		if !ok || got != want || mux[i].RunningShare() != 0.25 || !mux[i].Multiplexed() {
			t.Errorf("multiplexed value %d: scaled %v %v, share %v, want %v at 0.25", i, got, ok, mux[i].RunningShare(), want)
		}
	}
	for _, name := range []string{"group-not-counted", "single-not-counted"} {
		for _, c := range decode(name) {
			if v, ok := c.Scaled(); ok || c.State() != NotCounted || c.RunningShare() != 0 {
				t.Errorf("%s: scaled %v %v, state %v, want not counted", name, v, ok, c.State())
			}
		}
	}
	for _, c := range decode("group-times-id") {
		if v, ok := c.Scaled(); !ok || v != float64(c.Raw) || c.RunningShare() != 1 || c.Multiplexed() {
			t.Errorf("a group that ran all its time: %+v scaled to %v", c, v)
		}
	}
	// Sums are scaled as perf stat scales them: raw values and times are
	// added, then scaled.
	var sum Count
	sum.add(mux[0])
	sum.add(Count{Raw: 1e6, Enabled: 1e9, Running: 1e9})
	if v, _ := sum.Scaled(); v != 5e6*2e9/1.25e9 {
		t.Errorf("sum scaled to %v", v)
	}
}

// TestCountUnitScale: Value applies the event's unit scale (a PMU's
// .scale file), Scaled does not.
func TestCountUnitScale(t *testing.T) {
	c := Count{Event: Event{Name: "power/energy-pkg/", Scale: 2.3283064365386962890625e-10, Unit: "Joules"}, Raw: 1 << 32, Enabled: 10, Running: 10}
	if v, _ := c.Value(); v != 1 {
		t.Errorf("Value %v, want 1 Joule", v)
	}
	if v, _ := c.Scaled(); v != 1<<32 {
		t.Errorf("Scaled %v", v)
	}
}

// FuzzDecodeRead: any bytes and format decode or fail with
// ErrMalformedRead, and what decodes re-encodes to the same bytes.
func FuzzDecodeRead(f *testing.F) {
	for _, l := range layouts(f) {
		f.Add(l.bytes, l.format)
	}
	f.Fuzz(func(t *testing.T, b []byte, format uint64) {
		r, err := DecodeRead(b, format)
		if err != nil {
			if !errors.Is(err, ErrMalformedRead) {
				t.Fatalf("error %v does not wrap ErrMalformedRead", err)
			}
			return
		}
		if got := encodeRead(r, format); string(got) != string(b) {
			t.Fatalf("%x decoded to %+v, which encodes to %x", b, r, got)
		}
	})
}

// encodeRead writes r in the layout of format, as the kernel does.
func encodeRead(r RawRead, format uint64) []byte {
	var b []byte
	u := func(v uint64) { b = binary.LittleEndian.AppendUint64(b, v) }
	times := func() {
		if format&FormatTotalTimeEnabled != 0 {
			u(r.Enabled)
		}
		if format&FormatTotalTimeRunning != 0 {
			u(r.Running)
		}
	}
	tail := func(v RawValue) {
		if format&FormatID != 0 {
			u(v.ID)
		}
		if format&FormatLost != 0 {
			u(v.Lost)
		}
	}
	if format&FormatGroup != 0 {
		u(uint64(len(r.Values)))
		times()
		for _, v := range r.Values {
			u(v.Value)
			tail(v)
		}
		return b
	}
	u(r.Values[0].Value)
	times()
	tail(r.Values[0])
	return b
}
