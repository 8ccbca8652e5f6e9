package scope

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/profile"
)

// A capture made without the time field (perf script -F
// comm,tid,cpu,period,event,ip,sym,dso) fails at its first header, by
// line number.
func TestPerfScriptWithoutTimeFails(t *testing.T) {
	text, err := os.ReadFile("testdata/edge.perf")
	if err != nil {
		t.Fatal(err)
	}
	untimed := regexp.MustCompile(`(?m)^(.*?) +[0-9.]+: `).ReplaceAllString(string(text), "$1 ")
	_, err = ReadPerfScript(strings.NewReader(untimed), PerfOptions{})
	if !errors.Is(err, ErrNoTimestamp) || !strings.Contains(err.Error(), "line 5:") {
		t.Fatalf("got %v, want ErrNoTimestamp at line 5", err)
	}
	if n := strings.Count(err.Error(), "scope:"); n != 1 {
		t.Errorf("%q says scope: %d times", err, n)
	}
}

func TestRecordingWithoutTimedSamplesFails(t *testing.T) {
	rec := &profile.Profile{Samples: []profile.Sample{{Comm: "x", Count: 1}}}
	if _, err := FromRecording(rec, profile.FoldOptions{}); !errors.Is(err, ErrNoTimestamp) {
		t.Errorf("got %v, want ErrNoTimestamp", err)
	}
	if _, err := FromRecording(&profile.Profile{}, profile.FoldOptions{}); !errors.Is(err, ErrNoSamples) {
		t.Errorf("got %v, want ErrNoSamples", err)
	}
}

func TestCPUProfileWithoutTimeDeltasFails(t *testing.T) {
	const cp = `{"nodes":[{"id":1,"callFrame":{"functionName":"(root)"},"children":[2]},{"id":2,"callFrame":{"functionName":"f"}}],"startTime":1000000,"endTime":3000000,"samples":[2,2,2],"timeDeltas":[10,10]}`
	if _, err := ReadCPUProfile(strings.NewReader(cp)); !errors.Is(err, ErrNoTimestamp) || !strings.Contains(err.Error(), "sample 2") {
		t.Errorf("got %v, want ErrNoTimestamp for sample 2", err)
	}
}

// edge.perf's samples in its first second: swapper (idle) at 0.2, java at
// 0.5, both ends of a range included.
func TestRangeEmptyAndIdle(t *testing.T) {
	p := readInput(t, "edge")
	if _, err := p.Range(Range{0.3, 0.4}, Options{}); !errors.Is(err, ErrRangeEmpty) {
		t.Errorf("range 0.3,0.4: got %v, want ErrRangeEmpty", err)
	}
	if _, err := p.Range(Range{0.1, 0.3}, Options{}); !errors.Is(err, ErrRangeEmpty) {
		t.Errorf("range 0.1,0.3 without idle: got %v, want ErrRangeEmpty", err)
	}
	idle, err := p.Range(Range{0.1, 0.3}, Options{Idle: true})
	if err != nil || idle.Total() != 1 || !strings.HasPrefix(idle.Stacks[0].Frames, "swapper;") {
		t.Errorf("range 0.1,0.3 with idle: %v, %+v", err, idle)
	}
	java, err := p.Range(Range{0.2, 0.5}, Options{})
	if err != nil || java.Total() != 1 || !strings.HasPrefix(java.Stacks[0].Frames, "java;") {
		t.Errorf("range 0.2,0.5: %v, %+v", err, java)
	}
}

func TestRowsOutOfBoundsFail(t *testing.T) {
	p := readInput(t, "edge")
	for _, rows := range []int{-1, MinRows - 1, MaxRows + 1} {
		if _, err := p.HeatMap(Options{Rows: rows}); !errors.Is(err, ErrRows) {
			t.Errorf("rows %d: got %v, want ErrRows", rows, err)
		}
		if _, err := NewIndex(p, Options{Rows: rows}); !errors.Is(err, ErrRows) {
			t.Errorf("NewIndex, rows %d: got %v, want ErrRows", rows, err)
		}
	}
}

// Idle samples count in the heat map with Options.Idle: edge.perf has 9
// samples, 3 of them idle (a swapper with an idle function in its frames,
// and one whose header's event is power:cpu_idle).
func TestHeatMapIdle(t *testing.T) {
	p := readInput(t, "edge")
	for _, tc := range []struct {
		idle bool
		want int
	}{{false, 6}, {true, 9}} {
		h, err := p.HeatMap(Options{Idle: tc.idle})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, col := range h.Values {
			for _, v := range col {
				total += v
			}
		}
		if total != tc.want {
			t.Errorf("idle %v: %d samples, want %d", tc.idle, total, tc.want)
		}
	}
}

// An untimed header is found by its line number in any chunk of a big
// input, and the read stops there, early or late.
func TestUntimedHeaderLineInBigInput(t *testing.T) {
	f, err := os.Open(flameScopeInputs["gen-idle"])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(text) < 3*perfChunkSize {
		t.Fatalf("gen-idle is %d bytes, want several chunks", len(text))
	}
	lines := bytes.Count(text, []byte("\n"))
	const bad = "java 14375 [022] cpu-clock:\n"
	for _, tc := range []struct {
		text []byte
		line int
	}{
		{append([]byte(bad), text...), 1},
		{append(bytes.Clone(text), bad...), lines + 1},
	} {
		_, err := ReadPerfScript(bytes.NewReader(tc.text), PerfOptions{})
		if want := fmt.Sprintf("line %d:", tc.line); !errors.Is(err, ErrNoTimestamp) || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want ErrNoTimestamp at %s", err, want)
		}
	}
}
