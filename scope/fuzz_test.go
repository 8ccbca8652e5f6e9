package scope

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/google/pprof/profile"
)

// checkUse checks what a reader made of fuzzed input: a profile, whose heat
// map, index and ranges work and agree, or an error.
func checkUse(t *testing.T, p *Profile, err error) {
	if err != nil {
		if p != nil {
			t.Fatalf("a profile and an error: %v", err)
		}
		return
	}
	h, err := p.HeatMap(Options{Rows: MinRows, Idle: true})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := NewIndex(p, Options{Rows: MinRows, Idle: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h, ix.HeatMap()) {
		t.Fatal("the index's heat map differs from the profile's")
	}
	cols := float64(len(h.Columns))
	for _, r := range []Range{{0, cols}, {0.25, cols / 2}, {cols / 3, cols / 3}} {
		a, errA := p.Range(r, Options{Idle: true})
		b, errB := ix.Range(r)
		if !reflect.DeepEqual(a, b) || (errA == nil) != (errB == nil) {
			t.Fatalf("range %v: the index gives %v, %v; the profile %v, %v", r, b, errB, a, errA)
		}
		if errA != nil && !errors.Is(errA, ErrRangeEmpty) && !errors.Is(errA, ErrRangeOutside) {
			t.Fatalf("range %v: %v", r, errA)
		}
	}
}

func FuzzReadPerfScript(f *testing.F) {
	edge, err := os.ReadFile("testdata/edge.perf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(edge)
	f.Add([]byte("a 1 [000] 1.5: 1 cpu-clock:\n\t1 f (/x)\n\nb;c 2/3 2.25: ev:\n\t2 g->h+0x1 (/y)\n"))
	f.Add([]byte("     swapper     0 [002]   100.200000:   10101010 cpu-clock: \n\tffffffff8101cb2f default_idle+0x1f ([kernel.kallsyms])\n"))
	f.Add([]byte("java 14375 [022] 28648.467079: cpu-clock:\n\t    7f92bdd98965 Ljava/io/OutputStream;::write (/tmp/perf-11936.map)\n"))
	f.Add([]byte("x 1 [000] 1.: 1 e:\r\n\t1 [unknown] ([unknown])\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPerfScript(bytes.NewReader(data), PerfOptions{})
		checkUse(t, p, err)
	})
}

func FuzzReadCPUProfile(f *testing.F) {
	phases, err := os.ReadFile("testdata/phases.cpuprofile")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(phases)
	f.Add([]byte(`{"nodes":[{"id":1,"callFrame":{"functionName":"(root)"},"children":[2,3]},{"id":2,"callFrame":{"functionName":"(idle)"}},{"id":3,"callFrame":{"functionName":""},"children":[1]}],"startTime":1500000,"samples":[2,3,1],"timeDeltas":[10,-5,1000000]}`))
	f.Add([]byte(`{"nodes":[{"id":1,"callFrame":{"functionName":"f"},"children":[1]}],"startTime":0,"endTime":1e12,"samples":[1],"timeDeltas":[0]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadCPUProfile(bytes.NewReader(data))
		checkUse(t, p, err)
	})
}

func FuzzReadPprof(f *testing.F) {
	fn := &profile.Function{ID: 1, Name: "main.work"}
	loc := &profile.Location{ID: 1, Address: 0x1000, Line: []profile.Line{{Function: fn}}}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}},
		Function:   []*profile.Function{fn}, Location: []*profile.Location{loc},
	}
	for i, unit := range []string{"", "ms", "seconds"} {
		s := &profile.Sample{Value: []int64{1}, Location: []*profile.Location{loc}, NumLabel: map[string][]int64{"time": {int64(1000 + i)}}}
		if unit != "" {
			s.NumUnit = map[string][]string{"time": {unit}}
		}
		p.Sample = append(p.Sample, s)
	}
	var buf bytes.Buffer
	if err := p.WriteUncompressed(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPprof(bytes.NewReader(data))
		checkUse(t, p, err)
	})
}

// FuzzOneShotPerfScript checks that the one-shot readers answer as Read's
// profile does on any perf script text.
func FuzzOneShotPerfScript(f *testing.F) {
	edge, err := os.ReadFile("testdata/edge.perf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(edge)
	f.Add([]byte("a 1 [000] 101.5: 1 cpu-clock:\n\t1 f (/x)\n\nb 2 [001] 100.25: ev:\n\t2 g+0x1 (/y)\n"))
	f.Add([]byte("     swapper     0 [002]   100.200000:   10101010 cpu-clock: \n\tffffffff8101cb2f default_idle+0x1f ([kernel.kallsyms])\n\tffff cpuidle (x)\n"))
	f.Add([]byte("x 1 [000] 1.: 1 e:\r\n\t1 [unknown] ([unknown])\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, readErr := Read(bytes.NewReader(data), ReadOptions{Format: FormatPerfScript})
		h, _, err := ReadHeatMap(bytes.NewReader(data), ReadOptions{Format: FormatPerfScript}, Options{Rows: MinRows, Idle: true})
		if (err == nil) != (readErr == nil) && !(err == nil && errors.As(readErr, new(namingError))) {
			t.Fatalf("ReadHeatMap: %v; Read: %v", err, readErr)
		}
		if readErr != nil {
			return // ReadHeatMap names no stack: it may not fail where Read does
		}
		want, err := p.HeatMap(Options{Rows: MinRows, Idle: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(h, want) {
			t.Fatalf("ReadHeatMap's heat map %+v, the profile's %+v", h, want)
		}
		for _, r := range []Range{{0, 1}, {0.5, 2}} {
			want, wantErr := p.Range(r, Options{})
			got, _, err := ReadRange(bytes.NewReader(data), r, ReadOptions{Format: FormatPerfScript}, Options{})
			if !reflect.DeepEqual(got, want) || (err == nil) != (wantErr == nil) {
				t.Fatalf("range %v: ReadRange gives %v, %v; the profile %v, %v", r, got, err, want, wantErr)
			}
			var text, wantText bytes.Buffer
			_, err = WriteRangeFolded(&text, bytes.NewReader(data), r, ReadOptions{Format: FormatPerfScript}, Options{})
			if want != nil {
				want.WriteTo(&wantText)
			}
			if !bytes.Equal(text.Bytes(), wantText.Bytes()) || (err == nil) != (wantErr == nil) {
				t.Fatalf("range %v: WriteRangeFolded writes %q, %v; the profile %q, %v", r, text.Bytes(), err, wantText.Bytes(), wantErr)
			}
		}
	})
}
