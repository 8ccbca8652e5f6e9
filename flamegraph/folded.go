package flamegraph

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Stack is one line of a folded profile.
type Stack struct {
	// Frames holds the frames from the root to the leaf, separated by ';'.
	Frames string
	// Count is the stack's weight: its sample count, or in a differential
	// profile its count in the second (after) profile. It is never negative.
	Count float64
	// Before is the count in the first (before) profile; it is meaningful only
	// when the profile is differential.
	Before float64
}

// Profile is a folded profile: stacks in input order, duplicates allowed (a
// flame chart keeps them apart; a flame graph merges them).
type Profile struct {
	// Stacks holds the stacks in input order.
	Stacks []Stack
	// Differential reports that the stacks carry two counts, Before and Count.
	Differential bool
	// Skipped describes the input lines a reader could not use.
	Skipped Skipped
	// Unit names what the counts measure when they are not samples:
	// "nanoseconds" for a CPU profile weighted by time (a perf cpu-clock
	// period, a Go CPU profile), "bytes", "microseconds" off CPU. Empty means
	// samples. Render shows it as the count name unless Options.CountName is
	// set.
	Unit string
}

// Skipped counts malformed input lines that a reader passed over, and keeps
// the first one so the caller can show what went wrong.
type Skipped struct {
	Lines     int    // number of lines skipped
	FirstLine int    // 1-based line number of the first skipped line
	First     string // text of the first skipped line, cut to 200 bytes
}

// Add records a skipped line with its 1-based number.
func (s *Skipped) Add(lineNo int, line []byte) {
	s.Lines++
	if s.Lines == 1 {
		s.FirstLine = lineNo
		if len(line) > 200 {
			line = line[:200]
		}
		s.First = string(line)
	}
}

// Merge adds the counts of another Skipped into s, keeping the first line seen.
func (s *Skipped) Merge(o Skipped) {
	if o.Lines == 0 {
		return
	}
	if s.Lines == 0 {
		s.FirstLine, s.First = o.FirstLine, o.First
	}
	s.Lines += o.Lines
}

// String describes the skipped lines, or returns "" when there are none.
func (s Skipped) String() string {
	if s.Lines == 0 {
		return ""
	}
	return fmt.Sprintf("skipped %d malformed line(s); first at line %d: %q", s.Lines, s.FirstLine, s.First)
}

// ErrEmpty is returned when an operation needs at least one stack with a
// positive count and the profile has none.
var ErrEmpty = errors.New("flamegraph: no stack counts found")

// Add appends a stack with a count. Frames are root first, separated by ';'.
func (p *Profile) Add(frames string, count float64) {
	p.Stacks = append(p.Stacks, Stack{Frames: frames, Count: count, Before: count})
}

// AddDiff appends a differential stack with its before and after counts and
// marks the profile differential.
func (p *Profile) AddDiff(frames string, before, after float64) {
	p.Differential = true
	p.Stacks = append(p.Stacks, Stack{Frames: frames, Count: after, Before: before})
}

// Total returns the sum of the counts (the after counts of a differential).
func (p *Profile) Total() float64 {
	var t float64
	for _, s := range p.Stacks {
		t += s.Count
	}
	return t
}

// TotalBefore returns the sum of the before counts of a differential profile,
// or Total for a plain one.
func (p *Profile) TotalBefore() float64 {
	var t float64
	for _, s := range p.Stacks {
		t += s.Before
	}
	return t
}

// Folded returns a copy of the profile with duplicate stacks summed and the
// stacks sorted by their frames: the canonical form WriteTo prints.
func (p *Profile) Folded() *Profile {
	idx := make(map[string]int, len(p.Stacks))
	out := &Profile{Differential: p.Differential, Skipped: p.Skipped, Unit: p.Unit}
	for _, s := range p.Stacks {
		if i, ok := idx[s.Frames]; ok {
			out.Stacks[i].Count += s.Count
			out.Stacks[i].Before += s.Before
			continue
		}
		idx[s.Frames] = len(out.Stacks)
		out.Stacks = append(out.Stacks, s)
	}
	slices.SortFunc(out.Stacks, func(a, b Stack) int { return strings.Compare(a.Frames, b.Frames) })
	return out
}

// WriteTo writes the profile in folded form, merged and sorted, so identical
// profiles give identical bytes. Differential profiles get two counts a line.
// Stacks that are sorted already, each once (as the readers of package
// collapse return them), are written as they are, without Folded's copy.
func (p *Profile) WriteTo(w io.Writer) (int64, error) {
	stacks := p.Stacks
	if !sortedOnce(stacks) {
		stacks = p.Folded().Stacks
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	var num []byte
	for _, s := range stacks {
		num = num[:0]
		num = append(num, ' ')
		if p.Differential {
			num = AppendCount(num, s.Before)
			num = append(num, ' ')
		}
		num = AppendCount(num, s.Count)
		num = append(num, '\n')
		k, err := bw.WriteString(s.Frames)
		n += int64(k)
		if err != nil {
			return n, err
		}
		k, err = bw.Write(num)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}

// sortedOnce reports whether stacks are sorted by their frames, each once:
// the form Folded gives them.
func sortedOnce(stacks []Stack) bool {
	for i := 1; i < len(stacks); i++ {
		if stacks[i-1].Frames >= stacks[i].Frames {
			return false
		}
	}
	return true
}

// AppendCount appends a count as folded files write it: an integer without a
// fraction, otherwise the shortest decimal that reads back the same.
func AppendCount(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// Parse reads folded stacks. Counts may be integers or decimals; a line ending
// in two counts is a differential pair (before, after), and then the profile
// is Differential. Frames may contain spaces. CRLF line ends, blank lines and
// lines starting with '#' are accepted; any other line that does not end in a
// count is skipped and recorded in Profile.Skipped. A line of 64 MiB or
// more is an error wrapping bufio.ErrTooLong; otherwise only a read error
// fails. With an error come the stacks of the lines before it.
func Parse(r io.Reader) (*Profile, error) {
	p := &Profile{}
	lr := newLineReader(r)
	lineNo := 0
	for {
		text, err := lr.next()
		p.parseText(text, &lineNo)
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return p, parseError(lineNo, err)
		}
	}
}

// ParseString is Parse of folded stacks in memory. The stacks are parts of
// text, not copies: a program that has the text in memory, or maps a file
// into memory, parses it without a copy.
func ParseString(text string) (*Profile, error) {
	p := &Profile{}
	lineNo := 0
	if err := p.parseText(text, &lineNo); err != nil {
		return p, parseError(lineNo, err)
	}
	return p, nil
}

// parseText parses the lines of text, numbered from *lineNo+1, and counts
// them in *lineNo. It stops at a line of maxLineSize bytes or more, which
// Parse's reader cannot hold either, with bufio.ErrTooLong.
func (p *Profile) parseText(text string, lineNo *int) error {
	for len(text) > 0 {
		line, rest, _ := strings.Cut(text, "\n")
		if len(line) >= maxLineSize {
			return bufio.ErrTooLong
		}
		*lineNo++
		p.parseLine(*lineNo, line)
		text = rest
	}
	return nil
}

// parseError is the error of Parse after lineNo lines.
func parseError(lineNo int, err error) error {
	return fmt.Errorf("flamegraph: reading folded stacks at line %d: %w", lineNo+1, err)
}

// ParseLine parses one folded line (without its newline) and appends it, or
// records it as skipped. lineNo is used only for Skipped.
func (p *Profile) ParseLine(lineNo int, line []byte) {
	p.parseLine(lineNo, string(line))
}

// parseLine is ParseLine on a line of text, whose stack becomes the
// Stack's Frames without a copy.
func (p *Profile) parseLine(lineNo int, line string) {
	line = strings.TrimRight(line, "\r")
	trimmed := strings.TrimLeft(line, " \t")
	if len(trimmed) == 0 || trimmed[0] == '#' {
		return
	}
	stack, count, ok := cutCount(line)
	if !ok || isBlank(stack) {
		p.Skipped.Add(lineNo, []byte(line))
		return
	}
	if len(p.Stacks) == cap(p.Stacks) {
		// Double the stacks from 1024 on: append alone would copy them
		// ever more often as they grow.
		p.Stacks = slices.Grow(p.Stacks, max(len(p.Stacks), 1024))
	}
	if rest, before, ok := cutCount(stack); ok && !isBlank(rest) {
		p.AddDiff(rest, before, count)
		return
	}
	p.Add(stack, count)
}

// isBlank reports whether s holds nothing but white space.
func isBlank(s string) bool {
	return len(strings.TrimSpace(s)) == 0
}

// cutCount splits "stack N" into stack and N, where N is digits with
// an optional decimal fraction (as flamegraph.pl accepts).
func cutCount(line string) (stack string, count float64, ok bool) {
	line = strings.TrimRight(line, " \t")
	// Only digits and '.' can make a count: look back over them for the
	// blank before it, not through the whole stack for any blank.
	i := len(line) - 1
	for i >= 0 && (line[i] >= '0' && line[i] <= '9' || line[i] == '.') {
		i--
	}
	if i < 0 || line[i] != ' ' && line[i] != '\t' {
		return "", 0, false
	}
	count, ok = parseCount(line[i+1:])
	if !ok {
		return "", 0, false
	}
	// Like flamegraph.pl, only the one blank before the count separates it:
	// a frame may end in spaces ("StubRoutines " from a name cut at '(').
	return line[:i], count, true
}

// parseCount parses digits[.digits] without allocating for integers.
func parseCount(b string) (float64, bool) {
	if len(b) == 0 || b[0] < '0' || b[0] > '9' {
		return 0, false
	}
	var n uint64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if n > (math.MaxUint64-9)/10 {
			break
		}
		n = n*10 + uint64(b[i]-'0')
	}
	if i == len(b) {
		return float64(n), true
	}
	for j := i; j < len(b); j++ {
		if (b[j] < '0' || b[j] > '9') && !(b[j] == '.' && j == strings.IndexByte(b, '.')) {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(b, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// Merge returns the stacks of all profiles in one profile, in order. The
// result is differential if any input is; plain inputs then count the same
// before and after. Its Unit is the inputs' Unit when they agree (empty
// profiles aside), else empty.
func Merge(ps ...*Profile) *Profile {
	out := &Profile{}
	unitSet := false
	for _, p := range ps {
		out.Stacks = append(out.Stacks, p.Stacks...)
		out.Differential = out.Differential || p.Differential
		out.Skipped.Merge(p.Skipped)
		if len(p.Stacks) == 0 {
			continue
		}
		if !unitSet {
			out.Unit, unitSet = p.Unit, true
		} else if out.Unit != p.Unit {
			out.Unit = ""
		}
	}
	return out
}

// DiffOptions tunes Diff.
type DiffOptions struct {
	// Normalize scales the before counts so both profiles have the same
	// total, as difffolded.pl -n does (the scaled counts are truncated to
	// integers, like the perl).
	Normalize bool
	// StripHex replaces hexadecimal numbers (0x...) in frames with "0x...",
	// so addresses that differ between runs match (difffolded.pl -s).
	StripHex bool
}

// Diff returns the differential profile of two profiles: every stack of
// either, with its count in before (Before) and in after (Count), sorted.
// A flame graph of it is sized by after and coloured by the change.
func Diff(before, after *Profile, opts DiffOptions) *Profile {
	type pair struct{ b, a float64 }
	counts := map[string]*pair{}
	var order []string
	add := func(frames string, v float64, isAfter bool) {
		if opts.StripHex {
			frames = stripHex(frames)
		}
		c := counts[frames]
		if c == nil {
			c = &pair{}
			counts[frames] = c
			order = append(order, frames)
		}
		if isAfter {
			c.a += v
		} else {
			c.b += v
		}
	}
	var t1, t2 float64
	for _, s := range before.Stacks {
		add(s.Frames, s.Count, false)
		t1 += s.Count
	}
	for _, s := range after.Stacks {
		add(s.Frames, s.Count, true)
		t2 += s.Count
	}
	slices.Sort(order)
	out := &Profile{Differential: true, Unit: after.Unit}
	out.Skipped.Merge(before.Skipped)
	out.Skipped.Merge(after.Skipped)
	for _, f := range order {
		c := counts[f]
		b := c.b
		if opts.Normalize && t1 != t2 && t1 != 0 {
			b = math.Trunc(b * t2 / t1)
		}
		out.Stacks = append(out.Stacks, Stack{Frames: f, Before: b, Count: c.a})
	}
	return out
}

// stripHex replaces every 0x-prefixed hex number with "0x...".
func stripHex(s string) string {
	if !strings.Contains(s, "0x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+2 < len(s) && s[i] == '0' && s[i+1] == 'x' && isHex(s[i+2]) {
			b.WriteString("0x...")
			i += 2
			for i < len(s) && isHex(s[i]) {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
