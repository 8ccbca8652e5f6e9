package sampler

import (
	"os"
	"slices"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]int{
		"0":         {0},
		"0-3":       {0, 1, 2, 3},
		"0-1,4,6-7": {0, 1, 4, 6, 7},
	} {
		if got, err := ParseCPUList(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a", "3-1", "1-", "-1", "0,,1", "0-99999999"} {
		if got, err := ParseCPUList(in); err == nil {
			t.Errorf("%q: %v, want an error", in, got)
		}
	}
}

func FuzzParseCPUList(f *testing.F) {
	if b, err := os.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		f.Add(string(b[:len(b)-1]))
	}
	f.Add("0-1,4,6-7")
	f.Fuzz(func(t *testing.T, s string) {
		cpus, err := ParseCPUList(s)
		if err == nil && len(cpus) == 0 {
			t.Fatalf("%q: no CPUs and no error", s)
		}
	})
}
