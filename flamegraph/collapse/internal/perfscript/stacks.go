package perfscript

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"unsafe"

	"github.com/flamekit/flamekit/flamegraph"
)

// Stacks. A folded stack is the process frame and the frames' names (with
// their annotations) joined by ';'. Each distinct name gets an id
// (parser.names) and a stack is kept as the sequence of its name ids
// (parser.stacks), leaf first; names never contain ';' (tidying turns it
// into ':', and a process frame is cut at each ';'), so two stacks are the
// same text exactly when they are the same sequence. The text is made once
// per stack, at the end (merge).

// appendNames appends to ids the name ids of the ';'-separated pieces of b.
func (p *parser) appendNames(ids []uint32, b []byte) []uint32 {
	for {
		i := bytes.IndexByte(b, ';')
		if i < 0 {
			id, _ := p.names.find(b)
			return append(ids, uint32(id))
		}
		id, _ := p.names.find(b[:i])
		ids = append(ids, uint32(id))
		b = b[i+1:]
	}
}

// frameNames appends to ids the name ids of the frames parser.frame made
// of a line, and forgets them.
func (p *parser) frameNames(ids []uint32) []uint32 {
	for _, f := range p.frames {
		p.key = append(append(p.key[:0], f.name...), noteText[f.note]...)
		ids = p.appendNames(ids, p.key)
	}
	clear(p.frames)
	p.frames, p.scratch = p.frames[:0], p.scratch[:0]
	return ids
}

// stackOf returns the index of the stack the sample being read folds to,
// adding it when it is new: its frames' name ids, leaf first, then those of
// its process frame, from the last.
func (p *parser) stackOf() int32 {
	seq, h := p.seq, p.hash
	pn := p.pnameNames()
	for k := len(pn) - 1; k >= 0; k-- {
		seq = append(seq, pn[k])
		h = hashID(h, pn[k])
	}
	p.seq = seq
	h = hashEnd(h)
	i, slot, ok := p.stacks.lookup(h, seq)
	if !ok {
		i = p.stacks.add(slot, h, seq)
		p.counts = appendDoubling(&p.mem, p.counts, 0)
	}
	return i
}

// stackSorter sorts stacks by their texts without making them: each name,
// followed by ';' or not, gets its rank among all (rankNames), and a
// stack is the sequence of the ranks of its names, root first, the last
// without ';'. Two stacks compare as their first differing ranks do (a
// stack that ends differs from one that goes on where it ends: its last
// name has no ';'). The sort is a multikey quicksort, which looks at each
// rank of the long prefixes that stacks share about once.
type stackSorter struct {
	ranks []int32 // each stack's ranks, root first, then -1
	start []int32 // where each stack's ranks start
}

// newStackSorter ranks the names of p and makes the rank sequences of its
// stacks, in spare (the spare arena of lines, lineTable.spare) when it has
// room.
func newStackSorter(p *parser, spare []byte) *stackSorter {
	rank := rankNames(&p.names)
	st := &stackSorter{}
	st.ranks, spare = int32sIn(spare, p.stacks.n+len(p.counts), &p.mem)
	st.start, _ = int32sIn(spare, len(p.counts), &p.mem)
	at := 0
	for s := range p.counts {
		st.start[s] = int32(at)
		seq := p.stacks.seq(s)
		ranks := st.ranks[at : at+len(seq)+1]
		for k, id := range seq[1:] {
			ranks[len(seq)-2-k] = rank[id*2+1]
		}
		ranks[len(seq)-1], ranks[len(seq)] = rank[seq[0]*2], -1
		at += len(seq) + 1
	}
	return st
}

// int32sIn returns n int32s at the start of b, not zero, and the rest of
// b, or, when b is too short, n zeros from r and b.
func int32sIn(b []byte, n int, r *region) ([]int32, []byte) {
	if n == 0 || len(b) < 4*n {
		return regionMake[int32](r, n), b
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(b))), n), b[4*n:]
}

// rankNames returns the rank of each name, followed by ';' or not, among
// all (the order of compareNames), indexed by name id * 2 + 1 when followed
// by ';'. The names are sorted; a name x without ';' is where x is, and
// "x;" comes after x and the names that start with x and a byte below ';',
// before the next name: among the names placed there, the longest first.
// Those start with one another, so the longest is the last in sorted
// order, and the ranks are handed out in one walk over the sorted names,
// with the names whose "x;" goes after each in a list, the last first.
func rankNames(names *byteSet) []int32 {
	mem := names.store.mem
	n := len(names.entries)
	byText := regionMake[int32](mem, n)
	for i := range byText {
		byText[i] = int32(i)
	}
	slices.SortFunc(byText, func(a, b int32) int { return bytes.Compare(names.text(a), names.text(b)) })
	// after[j]: 1 + the last (in sorted order) of the names whose "x;"
	// goes right after the j-th, each followed by next[i] (0 ends).
	after := regionMake[int32](mem, n)
	next := regionMake[int32](mem, n)
	for i, id := range byText {
		x := names.text(id)
		j := i + 1
		for j < n {
			y := names.text(byText[j])
			if !bytes.HasPrefix(y, x) || y[len(x)] > ';' {
				break
			}
			j++
		}
		next[i], after[j-1] = after[j-1], int32(i)+1
	}
	rank := regionMake[int32](mem, 2*n)
	r := int32(0)
	for i, id := range byText {
		rank[2*id] = r
		r++
		for k := after[i]; k != 0; k = next[k-1] {
			rank[2*byText[k-1]+1] = r
			r++
		}
	}
	return rank
}

// at returns the rank of the d-th name of stack s, root first, or -1 past
// its end (d is at most its length).
func (st *stackSorter) at(s int32, d int) int32 { return st.ranks[int(st.start[s])+d] }

// sort sorts stacks that agree on their first d names.
func (st *stackSorter) sort(order []int32, d int) {
	for len(order) > 1 {
		if len(order) <= 12 {
			st.insertionSort(order, d)
			return
		}
		pivot := st.at(order[len(order)/2], d)
		lt, i, gt := 0, 0, len(order)
		for i < gt {
			switch r := st.at(order[i], d); {
			case r < pivot:
				order[lt], order[i] = order[i], order[lt]
				lt++
				i++
			case r > pivot:
				gt--
				order[i], order[gt] = order[gt], order[i]
			default:
				i++
			}
		}
		st.sort(order[:lt], d)
		st.sort(order[gt:], d)
		if pivot < 0 {
			return // stacks that end here are the same stack
		}
		order, d = order[lt:gt], d+1
	}
}

// insertionSort sorts a few stacks that agree on their first d names.
func (st *stackSorter) insertionSort(order []int32, d int) {
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && st.compare(order[j], order[j-1], d) < 0; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// compare compares two stacks that agree on their first d names.
func (st *stackSorter) compare(a, b int32, d int) int {
	for ; ; d++ {
		ra, rb := st.at(a, d), st.at(b, d)
		if ra != rb || ra < 0 {
			return cmp.Compare(ra, rb)
		}
	}
}

// sortedOrder returns the indexes of the stacks, sorted by their texts,
// and the spare arena of lines (lineTable.spare), which the sort is done
// with.
func (p *parser) sortedOrder() ([]int32, []byte) {
	order := regionMake[int32](&p.mem, len(p.counts))
	for i := range order {
		order[i] = int32(i)
	}
	spare := p.known.spare()
	newStackSorter(p, spare).sort(order, 0)
	return order, spare
}

// appendText appends the text of stack i to b: its names (texts, by id:
// nameTexts), root first, joined by ';'.
func (p *parser) appendText(b []byte, i int32, texts []string) []byte {
	seq := p.stacks.seq(int(i))
	for j := len(seq) - 1; j > 0; j-- {
		b = append(append(b, texts[seq[j]]...), ';')
	}
	return append(b, texts[seq[0]]...)
}

// nameTexts returns the names' texts, by id, in the store of p.names.
func (p *parser) nameTexts() []string {
	texts := make([]string, len(p.names.entries))
	for id := range texts {
		b := p.names.text(int32(id))
		texts[id] = unsafe.String(unsafe.SliceData(b), len(b))
	}
	return texts
}

// sortedStacks returns the stacks' texts and counts, sorted by text.
func (p *parser) sortedStacks() ([]string, []float64) {
	order, _ := p.sortedOrder()
	n := 0
	for _, i := range order {
		for _, id := range p.stacks.seq(int(i)) {
			n += int(p.names.entries[id].at.n) + 1
		}
	}
	buf := make([]byte, 0, n)
	ends := make([]int, len(order))
	names := p.nameTexts()
	for k, i := range order {
		buf = p.appendText(buf, i, names)
		ends[k] = len(buf)
	}
	texts := make([]string, len(order))
	counts := make([]float64, len(order))
	if len(buf) > 0 {
		// buf is never written again: the strings share it.
		all := unsafe.String(unsafe.SliceData(buf), len(buf))
		start := 0
		for k, end := range ends {
			texts[k], start = all[start:end], end
		}
	}
	for k, i := range order {
		counts[k] = p.counts[i]
	}
	return texts, counts
}

// mergeSorted merges two lists of sorted texts with their counts, summing
// the counts of a text in both.
func mergeSorted(at []string, ac []float64, bt []string, bc []float64) ([]string, []float64) {
	texts := make([]string, 0, len(at)+len(bt))
	counts := make([]float64, 0, len(at)+len(bt))
	i, j := 0, 0
	for i < len(at) && j < len(bt) {
		switch c := strings.Compare(at[i], bt[j]); {
		case c < 0:
			texts, counts = append(texts, at[i]), append(counts, ac[i])
			i++
		case c > 0:
			texts, counts = append(texts, bt[j]), append(counts, bc[j])
			j++
		default:
			texts, counts = append(texts, at[i]), append(counts, ac[i]+bc[j])
			i++
			j++
		}
	}
	texts, counts = append(append(texts, at[i:]...), bt[j:]...), append(append(counts, ac[i:]...), bc[j:]...)
	return texts, counts
}

// merge merges the stacks of the parsers into a sorted profile, with the
// skipped lines of the first.
func merge(ps []*parser) *flamegraph.Profile {
	texts, counts := ps[0].sortedStacks()
	for _, o := range ps[1:] {
		ot, oc := o.sortedStacks()
		texts, counts = mergeSorted(texts, counts, ot, oc)
	}
	prof := &flamegraph.Profile{Stacks: make([]flamegraph.Stack, 0, len(texts))}
	for k, t := range texts {
		prof.Add(t, counts[k])
	}
	prof.Skipped = ps[0].skipped
	return prof
}
