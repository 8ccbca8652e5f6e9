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
// returns the parser and the folded text.
func fold(t *testing.T, in []byte, opts Options, limit int) (*parser, string) {
	t.Helper()
	p := newParser(opts, limit)
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
	// (their hash), kept at the second for java, and serve the third; the
	// first notjava sample, with the same lines, keeps them for notjava,
	// and they serve the second and third, and the other and leaf2 ones.
	if p.recalled != 5 {
		t.Errorf("%d samples came from the memo, want 5", p.recalled)
	}
}

// TestLinesParsedTwice folds a real capture and checks that each distinct
// frame line was parsed at most twice (where it was read the first time,
// and for the table of lines the second), that the memo served samples,
// and that neither changes the folded stacks: with tables too small to
// keep anything between samples, the text is the same.
func TestLinesParsedTwice(t *testing.T) {
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
	distinct := map[string]bool{}
	lines := 0
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "\t") {
			distinct[l] = true
			lines++
		}
		in.WriteString(sc.Text() + "\n")
	}
	p, got := fold(t, in.Bytes(), Options{}, DefaultSizes.Memo)
	if p.noTable {
		t.Error("the parser dropped its table of lines on a real capture")
	}
	if p.parsed+p.direct > 2*len(distinct) || p.parsed == 0 {
		t.Errorf("parsed %d lines for the table and %d where they were; the capture has %d distinct frame lines (%d in all)", p.parsed, p.direct, len(distinct), lines)
	}
	if p.recalled < p.samples/4 {
		t.Errorf("the memo served %d of %d samples", p.recalled, p.samples)
	}
	small, want := fold(t, in.Bytes(), Options{}, 0)
	if got != want {
		t.Error("the tables of lines and bodies change the folded stacks")
	}
	if small.recalled != 0 || small.parsed+small.direct < lines/2 {
		t.Errorf("with no room for tables, the memo served %d samples and %d lines were parsed", small.recalled, small.parsed+small.direct)
	}
}

// TestTableDroppedWhenLinesDoNotRepeat folds samples whose lines carry
// random offsets, as generated captures do: the parser drops its table of
// lines and parses them where they are, with the same stacks.
func TestTableDroppedWhenLinesDoNotRepeat(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var in strings.Builder
	want := map[string]int{}
	for range 3 * tableWindow {
		leaf, mid := rnd.IntN(50), rnd.IntN(20)
		fmt.Fprintf(&in, "cmd 1 1.0: 1 cpu-clock:\n")
		fmt.Fprintf(&in, "\t%x leaf%d+0x%x (/x)\n", rnd.Uint32(), leaf, rnd.IntN(4096))
		fmt.Fprintf(&in, "\t%x mid%d+0x%x (/x)\n", rnd.Uint32(), mid, rnd.IntN(4096))
		fmt.Fprintf(&in, "\t%x main+0x%x (/x)\n\n", rnd.Uint32(), rnd.IntN(4096))
		want[fmt.Sprintf("cmd;main;mid%d;leaf%d", mid, leaf)]++
	}
	p, got := fold(t, []byte(in.String()), Options{}, DefaultSizes.Memo)
	if !p.noTable {
		t.Error("the parser kept its table of lines")
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
