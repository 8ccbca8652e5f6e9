package flamegraph

import (
	"bufio"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"
)

// TestParseLinesAcrossChunks parses text that Parse reads in several
// chunks: lines cut by a chunk's end, a line longer than a chunk (3 MB),
// CRLF ends and a last line without a newline; from readers that return a
// byte, half of what is asked, or the last bytes with io.EOF. Each gives
// the stacks of the lines, as ParseString does.
func TestParseLinesAcrossChunks(t *testing.T) {
	var want []Stack
	var text strings.Builder
	add := func(frames string, count int, end string) {
		want = append(want, Stack{Frames: frames, Count: float64(count), Before: float64(count)})
		text.WriteString(frames + " " + strconv.Itoa(count) + end)
	}
	for i := 0; text.Len() < 3*lineChunk/2; i++ {
		add("main;work;f"+strconv.Itoa(i)+strings.Repeat(";deeper", i%50), i, "\n")
	}
	add("main;"+strings.Repeat("long;", 3*lineChunk/5), 7, "\r\n")
	for i := 0; text.Len() < 6*lineChunk; i++ {
		add("main;g"+strconv.Itoa(i), i+1, "\n")
	}
	add("main;last", 9, "")
	s := text.String()
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(s),
		"half":     iotest.HalfReader(strings.NewReader(s)),
		"data+EOF": iotest.DataErrReader(strings.NewReader(s)),
	} {
		p, err := Parse(r)
		if err != nil || !reflect.DeepEqual(p.Stacks, want) || p.Skipped.Lines != 0 {
			t.Errorf("%s: %d stacks (want %d), %+v, %v", name, len(p.Stacks), len(want), p.Skipped, err)
		}
	}
	p, err := ParseString(s)
	if err != nil || !reflect.DeepEqual(p.Stacks, want) {
		t.Errorf("ParseString: %d stacks (want %d), %v", len(p.Stacks), len(want), err)
	}
	p, err = Parse(iotest.OneByteReader(strings.NewReader(s[:lineChunk+100])))
	if err != nil || len(p.Stacks) == 0 || !reflect.DeepEqual(p.Stacks, want[:len(p.Stacks)]) {
		t.Errorf("one byte a read: %v", err)
	}
}

// TestParseLineTooLong checks that Parse and ParseString take a line of
// 64 MiB less one byte and fail at a line of 64 MiB, naming it, with the
// stacks before it.
func TestParseLineTooLong(t *testing.T) {
	long := "main;" + strings.Repeat("x", maxLineSize-8) + " 1" // 64 MiB - 1
	fits := "a 1\n" + long + "\nb 2\n"
	tooLong := "a 1\n" + long + "2\nb 2\n"
	for name, parse := range map[string]func(string) (*Profile, error){
		"Parse":       func(s string) (*Profile, error) { return Parse(strings.NewReader(s)) },
		"ParseString": ParseString,
	} {
		if p, err := parse(fits); err != nil || len(p.Stacks) != 3 || len(p.Stacks[1].Frames) != len(long)-2 {
			t.Errorf("%s: a line of 64 MiB - 1: %v", name, err)
		}
		p, err := parse(tooLong)
		if !errors.Is(err, bufio.ErrTooLong) || !strings.Contains(err.Error(), "line 2") || len(p.Stacks) != 1 {
			t.Errorf("%s: a line of 64 MiB: %v, %d stacks before it", name, err, len(p.Stacks))
		}
	}
}

// TestParseStringSharesText checks that ParseString's stacks are parts of
// its text, not copies.
func TestParseStringSharesText(t *testing.T) {
	text := "main;a 1\nbad\nmain;b 2 3\n"
	p, err := ParseString(text)
	if err != nil || len(p.Stacks) != 2 {
		t.Fatalf("%+v, %v", p, err)
	}
	start := uintptr(unsafe.Pointer(unsafe.StringData(text)))
	for _, s := range p.Stacks {
		at := uintptr(unsafe.Pointer(unsafe.StringData(s.Frames)))
		if at < start || at >= start+uintptr(len(text)) {
			t.Errorf("stack %q is a copy", s.Frames)
		}
	}
}

// TestParseSmallKeepsLittle parses many small profiles and keeps them:
// each keeps its few bytes of text, not a whole read buffer.
func TestParseSmallKeepsLittle(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := make([]*Profile, 200)
	for i := range kept {
		kept[i] = mustParse(t, "main;work "+strconv.Itoa(i)+"\n")
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 20<<20 {
		t.Errorf("200 one-line profiles keep %d MiB", grew>>20)
	}
	runtime.KeepAlive(kept)
}
