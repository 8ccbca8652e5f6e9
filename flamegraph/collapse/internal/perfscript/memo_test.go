package perfscript

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// fold folds in with one parser whose tables may take limit bytes and
// returns the parser, released when the test ends, and the folded text.
func fold(t *testing.T, in []byte, opts Options, limit int) (*parser, string) {
	t.Helper()
	p := newParser(opts, limit)
	t.Cleanup(p.release)
	if err := p.readAll(bytes.NewReader(in), make([]byte, DefaultSizes.Chunk)); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := merge([]*parser{p}).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return p, b.String()
}

// TestMemoIsExact folds samples whose lines after the second repeat, in a
// java process and in another (where a leading 'L' of a class name stays),
// and samples whose lines start like a kept entry but go on or stop
// earlier: the memo must serve the repeats and nothing else.
func TestMemoIsExact(t *testing.T) {
	body := "\t1 leaf (/x)\n\t2 mid (/x)\n\t3 Lcom/Foo;.bar (/x)\n\t4 root (/x)\n"
	var in strings.Builder
	for _, comm := range []string{"java", "notjava"} {
		for range 3 {
			in.WriteString(comm + " 1 1.0: 1 cpu-clock:\n" + body + "\n")
		}
	}
	in.WriteString("notjava 1 1.0: 1 cpu-clock:\n" + body + "\t5 extra (/x)\n\n")
	// Served by the memo, but not the stack the entry served last: another
	// process, another leaf.
	in.WriteString("other 1 1.0: 1 cpu-clock:\n" + body + "\n")
	in.WriteString("notjava 1 1.0: 1 cpu-clock:\n\t9 leaf2 (/x)\n" + body[len("\t1 leaf (/x)\n"):] + "\n")
	in.WriteString("notjava 1 1.0: 1 cpu-clock:\n\t1 leaf (/x)\n\t2 mid (/x)\n\t3 Lcom/Foo;.bar (/x)\n\n")
	want := "java;root;com/Foo:.bar;mid;leaf 3\n" +
		"notjava;Lcom/Foo:.bar;mid;leaf 1\n" +
		"notjava;extra;root;Lcom/Foo:.bar;mid;leaf 1\n" +
		"notjava;root;Lcom/Foo:.bar;mid;leaf 3\n" +
		"notjava;root;Lcom/Foo:.bar;mid;leaf2 1\n" +
		"other;root;Lcom/Foo:.bar;mid;leaf 1\n"
	p, got := fold(t, []byte(in.String()), Options{}, DefaultSizes.Memo)
	if got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	// The lines after the second line of the first java sample are noted
	// (their fingerprint), kept at the second, and serve the third; the
	// same for notjava, whose second line is another one in the table of
	// lines (which keeps lines by java flag); they then serve the other
	// and leaf2 samples too.
	if p.recalled != 4 {
		t.Errorf("%d samples came from the memo, want 4", p.recalled)
	}
}

// TestSymbolsParsedOnce folds a real capture and checks that the frames of
// each distinct symbol (with its dso) were made once, that the memo served
// samples, and that neither changes the folded stacks: with tables too
// small to keep anything between samples, the text is the same.
func TestSymbolsParsedOnce(t *testing.T) {
	f, err := os.Open("../../testdata/perf/c-fp.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	lines, symbols := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "\t") {
			lines[l] = true
			symbols[symbolOf(l)] = true
		}
		in.WriteString(sc.Text() + "\n")
	}
	p, got := fold(t, in.Bytes(), Options{}, DefaultSizes.Memo)
	if p.parsed > len(symbols) || p.parsed == 0 {
		t.Errorf("made the frames of %d symbols; the capture has %d distinct symbols (%d distinct lines)", p.parsed, len(symbols), len(lines))
	}
	if p.recalled < p.samples/4 {
		t.Errorf("the memo served %d of %d samples", p.recalled, p.samples)
	}
	small, want := fold(t, in.Bytes(), Options{}, 0)
	if got != want {
		t.Error("the tables of symbols and bodies change the folded stacks")
	}
	if small.recalled != 0 || small.parsed <= p.parsed {
		t.Errorf("with no room for tables, the memo served %d samples and the frames of %d symbols were made", small.recalled, small.parsed)
	}
}

// symbolOf returns the symbol of frame line l without its offset, with its
// dso: "\t  addr sym+0x1f (dso)" gives "sym (dso)".
func symbolOf(l string) string {
	_, rest, _ := strings.Cut(strings.TrimLeft(l, " \t"), " ")
	k := strings.LastIndex(rest, " (")
	sym, mod := strings.TrimLeft(rest[:k], " "), rest[k:]
	if i := strings.LastIndex(sym, "+0x"); i >= 0 && strings.Trim(sym[i+3:], "0123456789abcdef") == "" {
		sym = sym[:i]
	}
	return sym + mod
}

// TestOffsetsDoNotMatter folds samples whose lines carry random addresses
// and offsets, as generated captures do, so that no line repeats: the
// frames of each symbol are still made once, with the right stacks.
func TestOffsetsDoNotMatter(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var in strings.Builder
	want := map[string]int{}
	for range 3000 {
		leaf, mid := rnd.IntN(50), rnd.IntN(20)
		fmt.Fprintf(&in, "cmd 1 1.0: 1 cpu-clock:\n")
		fmt.Fprintf(&in, "\t%x leaf%d+0x%x (/x)\n", rnd.Uint32(), leaf, rnd.IntN(4096))
		fmt.Fprintf(&in, "\t%x mid%d+0x%x (/x)\n", rnd.Uint32(), mid, rnd.IntN(4096))
		fmt.Fprintf(&in, "\t%x main+0x%x (/x)\n\n", rnd.Uint32(), rnd.IntN(4096))
		want[fmt.Sprintf("cmd;main;mid%d;leaf%d", mid, leaf)]++
	}
	p, got := fold(t, []byte(in.String()), Options{}, DefaultSizes.Memo)
	if p.parsed > 50+20+1 {
		t.Errorf("made the frames of %d symbols, want at most %d", p.parsed, 50+20+1)
	}
	var lines []string
	for s, n := range want {
		lines = append(lines, fmt.Sprintf("%s %d\n", s, n))
	}
	slices.Sort(lines)
	if w := strings.Join(lines, ""); got != w {
		t.Errorf("got\n%.500s\nwant\n%.500s", got, w)
	}
}

// TestMemoAfterAnyLine folds samples that end with the lines a sample
// before had after its second line, from their third or fourth line on:
// the memo, which finds them from the line before them, must serve them
// with the frames that lead to them, whichever line that is.
func TestMemoAfterAnyLine(t *testing.T) {
	kept := "\t3 c (/x)\n\t4 d (/x)\n\t5 e (/x)\n"
	var in strings.Builder
	for range 2 { // the first notes the lines after its second, the second keeps them
		in.WriteString("cmd 1 1.0: 1 cpu-clock:\n\t1 a (/x)\n\t2 b (/x)\n" + kept + "\n")
	}
	for _, head := range []string{"\t7 x (/x)\n\t8 y (/x)\n", "\t7 x (/x)\n\t8 y (/x)\n", "\t9 z (/x)\n\t8 y (/x)\n", "\t7 x (/x)\n"} {
		in.WriteString("cmd 1 1.0: 1 cpu-clock:\n" + head + "\t2 b (/x)\n" + kept + "\n")
	}
	want := "cmd;e;d;c;b;a 2\n" +
		"cmd;e;d;c;b;x 1\n" +
		"cmd;e;d;c;b;y;x 2\n" +
		"cmd;e;d;c;b;y;z 1\n"
	p, got := fold(t, []byte(in.String()), Options{}, DefaultSizes.Memo)
	if got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	if p.recalled != 4 {
		t.Errorf("%d samples came from the memo, want 4", p.recalled)
	}
}
