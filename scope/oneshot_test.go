package scope

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
)

// ReadHeatMap's one pass over perf script text, which keeps no stack,
// gives FlameScope's heat maps, as Read's profile does.
func TestReadHeatMapIsFlameScopes(t *testing.T) {
	files, inputs, params := goldens(t, "heatmap")
	for i, file := range files {
		rows, err := strconv.Atoi(params[i])
		if err != nil {
			t.Fatal(err)
		}
		var want HeatMap
		readGolden(t, file, &want)
		got, _ := readHeatMapFile(t, flameScopeInputs[inputs[i]], Options{Rows: rows})
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: ReadHeatMap's heat map differs from FlameScope's:\n got %+v\nwant %+v", file, *got, want)
		}
	}
}

// With idle samples counted too, and in every format, ReadHeatMap's heat
// map is Read's profile's.
func TestReadHeatMapIsReadsProfiles(t *testing.T) {
	for name, path := range flameScopeInputs {
		p := readInput(t, name)
		for _, opts := range []Options{{Rows: MinRows}, {Idle: true}, {Rows: MaxRows, Idle: true}} {
			want, err := p.HeatMap(opts)
			if err != nil {
				t.Fatal(err)
			}
			got, f := readHeatMapFile(t, path, opts)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %+v (%s): ReadHeatMap's heat map differs from the profile's:\n got %+v\nwant %+v", name, opts, f, got, want)
			}
		}
	}
}

// readHeatMapFile returns ReadHeatMap's heat map of a file.
func readHeatMapFile(t *testing.T, path string, opts Options) (*HeatMap, Format) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, format, err := ReadHeatMap(f, ReadOptions{}, opts)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return h, format
}

// ReadRange gives the profile Read's profile's Range gives, with every
// option, for ranges within, across and outside the profiles, from a file
// (the one pass) and from a reader it cannot read again (a whole read).
func TestReadRangeIsReadsProfiles(t *testing.T) {
	for name, path := range flameScopeInputs {
		for _, popts := range []PerfOptions{{}, {Kernel: true, JIT: true}, {Addrs: true}} {
			p := readInputWith(t, path, popts)
			cols := float64(p.Seconds())
			ranges := []Range{{0, cols}, {0.5, 1}, {1.02, 1.04}, {cols / 3, cols / 2}, {cols - 0.3, cols}, {0.0001, 0.0002}, {0, cols + 1}, {-1, 1}, {2, 1}}
			for _, rg := range ranges {
				for _, opts := range []Options{{}, {Idle: true}} {
					want, wantErr := p.Range(rg, opts)
					for _, seekable := range []bool{true, false} {
						got, gotErr := readRangeFile(t, path, rg, popts, opts, seekable)
						what := fmt.Sprintf("%s %+v range %v %+v (seekable %v)", name, popts, rg, opts, seekable)
						sameResult(t, what, got, gotErr, want, wantErr)
						r, closeFile := openFile(t, path, seekable)
						sameFolded(t, what, r, rg, popts, opts, want, wantErr)
						closeFile()
					}
				}
			}
		}
	}
}

// readInputWith reads a file with Read and the perf script options.
func readInputWith(t *testing.T, path string, popts PerfOptions) *Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, _, err := Read(f, ReadOptions{Perf: popts})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

// readRangeFile returns ReadRange's answer for a file, given as an
// io.Seeker or not.
func readRangeFile(t *testing.T, path string, rg Range, popts PerfOptions, opts Options, seekable bool) (*flamegraph.Profile, error) {
	t.Helper()
	r, closeFile := openFile(t, path, seekable)
	defer closeFile()
	p, _, err := ReadRange(r, rg, ReadOptions{Perf: popts}, opts)
	return p, err
}

// openFile opens a file as an io.Seeker or as a reader that is none.
func openFile(t *testing.T, path string, seekable bool) (io.Reader, func()) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !seekable {
		return struct{ io.Reader }{f}, func() { f.Close() }
	}
	return f, func() { f.Close() }
}

// sameFolded fails unless WriteRangeFolded writes the bytes of want's
// WriteTo, or fails as wantErr does and writes nothing.
func sameFolded(t *testing.T, what string, r io.Reader, rg Range, popts PerfOptions, opts Options, want *flamegraph.Profile, wantErr error) {
	t.Helper()
	var got bytes.Buffer
	_, gotErr := WriteRangeFolded(&got, r, rg, ReadOptions{Perf: popts}, opts)
	var wantText bytes.Buffer
	if wantErr == nil {
		if _, err := want.WriteTo(&wantText); err != nil {
			t.Fatal(err)
		}
	}
	sameResult(t, what+" WriteRangeFolded", nil, gotErr, nil, wantErr)
	if !bytes.Equal(got.Bytes(), wantText.Bytes()) {
		t.Errorf("%s: WriteRangeFolded wrote %d bytes, WriteTo %d:\n%.300s\nwant\n%.300s", what, got.Len(), wantText.Len(), got.Bytes(), wantText.Bytes())
	}
}

// sameResult fails unless got is want, or both errors are of the same
// sentinel.
func sameResult(t *testing.T, what string, got *flamegraph.Profile, gotErr error, want *flamegraph.Profile, wantErr error) {
	t.Helper()
	if wantErr != nil || gotErr != nil {
		for _, sentinel := range []error{ErrRangeOutside, ErrRangeEmpty, ErrNoSamples, ErrNoTimestamp, ErrFormat} {
			if errors.Is(wantErr, sentinel) != errors.Is(gotErr, sentinel) {
				t.Errorf("%s: error %v, want %v", what, gotErr, wantErr)
				return
			}
		}
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%s: error %v, want %v", what, gotErr, wantErr)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: ReadRange's profile differs from the profile's:\n got %v\nwant %v", what, got.Stacks, want.Stacks)
	}
}

// The one pass takes the profile's first second to be its first sample's.
// When perf script wrote a sample of an earlier second later, ReadRange
// reads the file again, from where it was given it.
func TestReadRangeReadsAgainForALateEarlierSample(t *testing.T) {
	const junk = "this line is before where the reader is given\n"
	text := junk +
		"a 1 [000] 101.500000: cpu-clock:\n\t1 first (/x)\n\n" +
		"b 2 [001] 100.100000: cpu-clock:\n\t2 second (/x)\n\n" +
		"c 3 [002] 101.700000: cpu-clock:\n\t3 third (/x)\n\n" +
		"d 4 [003] 102.600000: cpu-clock:\n\t4 fourth (/x)\n\n"
	path := filepath.Join(t.TempDir(), "late.perf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ReadPerfScript(bytes.NewReader([]byte(text[len(junk):])), PerfOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, rg := range []Range{{1.6, 2}, {0, 1}, {2.5, 3}} {
		want, wantErr := p.Range(rg, Options{})
		if _, err := f.Seek(int64(len(junk)), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, _, gotErr := ReadRange(f, rg, ReadOptions{}, Options{})
		sameResult(t, fmt.Sprintf("range %v", rg), got, gotErr, want, wantErr)
		if _, err := f.Seek(int64(len(junk)), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		sameFolded(t, fmt.Sprintf("range %v", rg), f, rg, PerfOptions{}, Options{}, want, wantErr)
		if wantErr == nil && len(want.Stacks) == 0 {
			t.Fatalf("range %v: no stacks", rg)
		}
	}
}

// The one-shot readers fail on bad input as Read does: the same errors,
// said once.
func TestOneShotErrorsAreReads(t *testing.T) {
	inputs := map[string]string{
		"no time":    "bash 1 [000] cpu-clock:\n\t1 f (/x)\n",
		"empty":      "# only a comment\n",
		"bad time":   "a 1 [000] 1.2.3: cpu-clock:\n\t1 f (/x)\n",
		"too long":   "a 1 [000] 1.0: cpu-clock:\n\t1 f (/x)\n\nb 1 [000] 100000.0: cpu-clock:\n\t1 f (/x)\n",
		"idle only":  "swapper 0 [000] 1.5: cpu-clock:\n\t1 cpuidle (/x)\n",
		"not a time": "a 1 [000] 1.5: cpu-clock:\n\t1 f (/x)\nnot a header\n",
	}
	for name, text := range inputs {
		path := filepath.Join(t.TempDir(), "in.perf")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		p, _, readErr := Read(bytes.NewReader([]byte(text)), ReadOptions{})
		var want *HeatMap
		if readErr == nil {
			want, _ = p.HeatMap(Options{})
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := ReadHeatMap(f, ReadOptions{}, Options{})
		f.Close()
		if fmt.Sprint(err) != fmt.Sprint(readErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ReadHeatMap gives %v, %v; Read %v, %v", name, got, err, want, readErr)
		}
		rg := Range{0, 1}
		var wantRange *flamegraph.Profile
		wantErr := readErr
		if readErr == nil {
			wantRange, wantErr = p.Range(rg, Options{})
		}
		gotRange, gotErr := readRangeFile(t, path, rg, PerfOptions{}, Options{}, true)
		sameResult(t, name, gotRange, gotErr, wantRange, wantErr)
		if readErr != nil && fmt.Sprint(gotErr) != fmt.Sprint(readErr) {
			t.Errorf("%s: ReadRange fails with %q, Read with %q", name, gotErr, readErr)
		}
	}
	if _, _, err := ReadHeatMap(bytes.NewReader(nil), ReadOptions{}, Options{Rows: 5}); !errors.Is(err, ErrRows) {
		t.Errorf("5 rows: %v, want ErrRows", err)
	}
}
