package perfscript

import (
	"bytes"
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

// lineNames returns the name ids of the frames of frame line id, leaf
// first, in the sample being read (whose process frame may start with
// "java"), parsing the line the first time.
func (p *parser) lineNames(id lineID) []uint32 {
	t := &p.table
	j := 0
	if p.java {
		j = 1
	}
	info := t.info(id)
	if !info.made[j] {
		p.frame(trimCR(t.text(id)))
		p.parsed++
		first := len(t.names)
		for _, f := range p.frames {
			p.key = append(append(p.key[:0], f.name...), noteText[f.note]...)
			t.names = p.appendNames(t.names, p.key)
		}
		info.names[j] = span{uint32(first), uint32(len(t.names) - first)}
		info.made[j] = true
		clear(p.frames)
		p.frames, p.scratch = p.frames[:0], p.scratch[:0]
	}
	s := info.names[j]
	return t.names[s.off : s.off+s.n : s.off+s.n]
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
	h = hashEnd(h, 0)
	i, slot, ok := p.stacks.lookup(h, 0, seq)
	if !ok {
		i = int32(len(p.counts))
		p.stacks.add(slot, h, 0, seq, i)
		p.counts = append(p.counts, 0)
	}
	return i
}

// stackTexts returns the text of each stack, in one allocation.
func (p *parser) stackTexts() []string {
	n := 0
	for i := range p.stacks.entries {
		for _, id := range p.stacks.seq(i) {
			n += int(p.names.entries[id].at.n) + 1
		}
	}
	buf := make([]byte, 0, n)
	ends := make([]int, len(p.stacks.entries))
	for i := range p.stacks.entries {
		seq := p.stacks.seq(i)
		for k := len(seq) - 1; k >= 0; k-- {
			buf = append(buf, p.names.text(int32(seq[k]))...)
			if k > 0 {
				buf = append(buf, ';')
			}
		}
		ends[i] = len(buf)
	}
	if len(buf) == 0 {
		return make([]string, len(ends))
	}
	// buf is never written again: the strings share it.
	all := unsafe.String(unsafe.SliceData(buf), len(buf))
	texts := make([]string, len(ends))
	start := 0
	for i, end := range ends {
		texts[i], start = all[start:end], end
	}
	return texts
}

// merge merges the stacks of the parsers into a sorted profile, with the
// skipped lines of the first.
func merge(ps []*parser) *flamegraph.Profile {
	keys, counts := ps[0].stackTexts(), ps[0].counts
	if len(ps) > 1 {
		index := make(map[string]int, len(keys))
		for i, k := range keys {
			index[k] = i
		}
		counts = slices.Clone(counts)
		for _, o := range ps[1:] {
			for i, k := range o.stackTexts() {
				if j, ok := index[k]; ok {
					counts[j] += o.counts[i]
				} else {
					index[k] = len(keys)
					keys = append(keys, k)
					counts = append(counts, o.counts[i])
				}
			}
		}
	}
	order := make([]int32, len(keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
	prof := &flamegraph.Profile{Stacks: make([]flamegraph.Stack, 0, len(order))}
	for _, i := range order {
		prof.Add(keys[i], counts[i])
	}
	prof.Skipped = ps[0].skipped
	return prof
}
