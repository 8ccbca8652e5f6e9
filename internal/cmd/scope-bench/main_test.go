package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/scope"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const input = "../../../scope/testdata/gen-idle.perf.gz"

// The one-pass output is the whole read's (--index), heat map and range
// alike, and the heat map is the JSON of the profile's.
func TestRunOnePassIsIndexed(t *testing.T) {
	for _, args := range [][]string{{}, {"--rows", "10", "--idle"}, {"--range", "2,3.5"}, {"--range", "0.5,7", "--idle"}} {
		var onePass, indexed, stderr bytes.Buffer
		if err := run(append(append([]string(nil), args...), input), &onePass, &stderr); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if err := run(append(append([]string{"--index"}, args...), input), &indexed, &stderr); err != nil {
			t.Fatalf("--index %v: %v", args, err)
		}
		if onePass.Len() == 0 || onePass.String() != indexed.String() {
			t.Errorf("%v: one pass wrote %d bytes, the index %d", args, onePass.Len(), indexed.Len())
		}
	}
	var out, stderr bytes.Buffer
	if err := run([]string{input}, &out, &stderr); err != nil {
		t.Fatal(err)
	}
	var h scope.HeatMap
	if err := json.Unmarshal(out.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Columns) != 8 || len(h.Rows) != scope.DefaultRows || h.MaxValue == 0 {
		t.Errorf("heat map of %d columns, %d rows, max %d; want 8, %d, > 0", len(h.Columns), len(h.Rows), h.MaxValue, scope.DefaultRows)
	}
	if !reflect.DeepEqual(h.Columns, []int{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("columns %v", h.Columns)
	}
}

// A range outside the profile fails with scope's error, said once.
func TestRunRangeOutside(t *testing.T) {
	var out, stderr bytes.Buffer
	err := run([]string{"--range", "0,9", input}, &out, &stderr)
	if err == nil || strings.Count(err.Error(), "range outside") != 1 || out.Len() != 0 {
		t.Errorf("error %v, output %q", err, out.String())
	}
}
