package perfgen

import (
	"math"
	"strings"
)

// trie is a node of the walk's tree of middle frames: the frames tried
// below it, in the order first tried, and how often each was taken.
type trie struct {
	order  []frame
	counts []int
	next   []*trie
	index  map[frame]int
	total  int
}

func newTrie() *trie { return &trie{index: map[frame]int{}} }

// take records a step to f and returns the node below it.
func (t *trie) take(f frame) *trie {
	i, ok := t.index[f]
	if !ok {
		i = len(t.order)
		t.index[f] = i
		t.order = append(t.order, f)
		t.counts = append(t.counts, 0)
		t.next = append(t.next, newTrie())
	}
	t.counts[i]++
	t.total++
	return t.next[i]
}

// revisit draws a frame already taken from t, in proportion to how often.
func (t *trie) revisit(r *rng) frame {
	x := r.IntN(t.total)
	for i, c := range t.counts {
		if x < c {
			return t.order[i]
		}
		x -= c
	}
	return t.order[len(t.order)-1]
}

// growCatalogue makes up to target distinct stacks of a role, root first:
// a spine, middle frames from the role's layers chosen by a Chinese
// restaurant walk (new frames with probability alpha/(n+alpha) at a node
// visited n times, so stacks share prefixes), then a tail. Depths are
// log-normal around the role's middle depth, clamped to its range.
func growCatalogue(ro *role, r *rng, target int) [][]frame {
	var stacks [][]frame
	seen := map[string]bool{}
	roots := make([]*trie, len(ro.spines))
	spineWeights := make([]float64, len(ro.spines))
	for i, s := range ro.spines {
		roots[i] = newTrie()
		spineWeights[i] = s.weight
	}
	tailWeights := make([]float64, len(ro.tails))
	for i, t := range ro.tails {
		tailWeights[i] = t.weight
	}
	var pools [][]frame
	for _, p := range ro.layers {
		if len(p) > 0 {
			pools = append(pools, p)
		}
	}
	var key strings.Builder
	for attempts := 0; len(stacks) < target && attempts < target*30; attempts++ {
		si := r.weighted(spineWeights)
		sp := ro.spines[si].frames
		tail, shallow := ro.tails[r.weighted(tailWeights)].make(r)
		d := int(math.Round(math.Exp(r.gauss(math.Log(float64(ro.midDepth)), 0.35))))
		d = max(ro.depthLo, min(ro.depthHi, d))
		m := 0
		if !shallow && len(pools) > 0 {
			m = max(1, d-len(sp)-len(tail))
		}
		var mid []frame
		node := roots[si]
		var prev frame
		if len(sp) > 0 {
			prev = sp[len(sp)-1]
		}
		for i := range m {
			pool := pools[min(len(pools)-1, i*len(pools)/max(1, m))]
			var f frame
			if node.total == 0 || r.chance(ro.alpha/(float64(node.total)+ro.alpha)) {
				f = zipfPick(r, pool, 0.6)
				if f == prev && !ro.recursion {
					f = pick(r, pool)
				}
			} else {
				f = node.revisit(r)
			}
			node = node.take(f)
			mid = append(mid, f)
			prev = f
		}
		st := cat(sp, mid, tail)
		if len(st) > ro.depthHi {
			cut := len(st) - ro.depthHi
			st = cat(sp, mid[:max(0, len(mid)-cut)], tail)
			if len(st) > ro.depthHi {
				st = st[len(st)-ro.depthHi:]
			}
		}
		key.Reset()
		for _, f := range st {
			key.WriteString(f.dso)
			key.WriteByte(0)
			key.WriteString(f.sym)
			key.WriteByte(0)
		}
		if seen[key.String()] {
			continue
		}
		seen[key.String()] = true
		stacks = append(stacks, st)
	}
	return stacks
}
