package pmc

import (
	"slices"
	"testing"
)

// TestParseCPUList reads CPU lists as the kernel writes them and -C takes
// them, and refuses malformed ones.
func TestParseCPUList(t *testing.T) {
	for list, want := range map[string][]int{
		"0":          {0},
		"0-3":        {0, 1, 2, 3},
		"0-1,5,7-8":  {0, 1, 5, 7, 8},
		"12,3":       {12, 3},
		"2-2":        {2},
		"0-1,16-17,": nil,
		"":           nil,
		"3-1":        nil,
		"a":          nil,
		"-1":         nil,
		"1-":         nil,
		"0-65536":    nil,
	} {
		got, err := ParseCPUList(list)
		if want == nil {
			if err == nil {
				t.Errorf("ParseCPUList(%q) = %v, want an error", list, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseCPUList(%q) = %v, %v; want %v", list, got, err, want)
		}
	}
}

// FuzzParseCPUList: any input is read or refused, never a panic, and a
// list read names no negative CPU.
func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"0", "0-3", "0-1,5,7-8", "", "3-1", "1,,2", "0-99999999999", "+1-+2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 64 {
			return
		}
		cpus, err := ParseCPUList(s)
		if err != nil {
			return
		}
		for _, c := range cpus {
			if c < 0 {
				t.Fatalf("ParseCPUList(%q) names CPU %d", s, c)
			}
		}
	})
}
