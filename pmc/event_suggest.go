package pmc

import (
	"slices"
	"strings"
)

// knownName is an event name the parser knows: what a typo is compared
// with, and how to write it.
type knownName struct {
	match, show string
}

// knownNames returns every event name the parser knows: the generic and
// cache events and each PMU's aliases (written pmu/alias/).
func knownNames(pmus []PMU) []knownName {
	var names []knownName
	for _, g := range genericEvents {
		for _, n := range g.names {
			names = append(names, knownName{n, n})
		}
	}
	for _, n := range cacheEventNames() {
		names = append(names, knownName{n, n})
	}
	for _, p := range pmus {
		for a := range p.Events {
			names = append(names, knownName{a, p.Name + "/" + a + "/"})
		}
	}
	return names
}

// closeNames returns up to five of names closest to name by edit distance,
// closest first, among those near enough to be a typo of it.
func closeNames(name string, names []knownName) []string {
	type scored struct {
		name string
		d    int
	}
	limit := max(2, len(name)/3)
	var near []scored
	for _, n := range names {
		if d := editDistance(strings.ToLower(name), strings.ToLower(n.match)); d <= limit {
			near = append(near, scored{n.show, d})
		}
	}
	slices.SortStableFunc(near, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for _, s := range near[:min(5, len(near))] {
		out = append(out, s.name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sortStrings sorts s in place.
func sortStrings(s []string) { slices.Sort(s) }
