package perfscript

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// compareNames compares two names, each followed by ';' when more is set,
// as byte strings: what rankNames orders.
func compareNames(x []byte, xMore bool, y []byte, yMore bool) int {
	if xMore {
		x = append(bytes.Clone(x), ';')
	}
	if yMore {
		y = append(bytes.Clone(y), ';')
	}
	return bytes.Compare(x, y)
}

// checkRanks checks rankNames on names against a sort by compareNames.
func checkRanks(t *testing.T, names []string) {
	t.Helper()
	var set byteSet
	for _, n := range names {
		set.find([]byte(n))
	}
	rank := rankNames(&set)
	keys := make([]int32, 2*len(set.entries))
	for i := range keys {
		keys[i] = int32(i)
	}
	slices.SortFunc(keys, func(a, b int32) int {
		return compareNames(set.text(a>>1), a&1 == 1, set.text(b>>1), b&1 == 1)
	})
	for r, k := range keys {
		if rank[k] != int32(r) {
			t.Fatalf("names %q: %q (followed by ';': %v) ranks %d, want %d", names, set.text(k>>1), k&1 == 1, rank[k], r)
		}
	}
}

// TestRankNames ranks names that start with one another, with bytes below
// and above ';' after the shorter, as frame names do ("f", "f.isra.0",
// "f_slow", "f0").
func TestRankNames(t *testing.T) {
	checkRanks(t, []string{"f", "f.isra.0", "f_slow", "f0", "f0.cold", "g", "", "e:x", "f:"})
	checkRanks(t, []string{"a", "aa", "aaa", "a!", "a!b", "b"})
}

// FuzzRankNames checks rankNames on any names (without ';', which names
// never have).
func FuzzRankNames(f *testing.F) {
	f.Add("f\nf.isra.0\nf_slow\nf0\ng")
	f.Add("a\naa\na!\n\nz")
	f.Fuzz(func(t *testing.T, list string) {
		if strings.Contains(list, ";") {
			return
		}
		checkRanks(t, strings.Split(list, "\n"))
	})
}

// TestSortedStacks folds stacks whose names start with one another and
// checks that they come sorted as their texts.
func TestSortedStacks(t *testing.T) {
	var in strings.Builder
	for _, frames := range [][]string{{"f"}, {"f", "g"}, {"f.isra.0"}, {"f0", "a"}, {"f_slow"}, {"f", "f"}, {"e"}} {
		in.WriteString("cmd 1 1.0: 1 cpu-clock:\n")
		for i := len(frames) - 1; i >= 0; i-- {
			in.WriteString("\t1 " + frames[i] + " (/x)\n")
		}
		in.WriteString("\n")
	}
	p, _ := fold(t, []byte(in.String()), Options{}, DefaultSizes.Memo)
	texts, _ := p.sortedStacks()
	if !slices.IsSortedFunc(texts, strings.Compare) || len(texts) != 7 {
		t.Errorf("stacks %q are not the 7 sorted", texts)
	}
}
