package scope

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pageMetaOf returns the JSON data of a page.
func pageMetaOf(t *testing.T, page string) pageMeta {
	t.Helper()
	m := regexp.MustCompile(`<script type="application/json" id="fk-meta">([^<]*)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page has no data")
	}
	var meta pageMeta
	if err := json.Unmarshal([]byte(m[1]), &meta); err != nil {
		t.Fatal(err)
	}
	return meta
}

func writePageString(t *testing.T, ix *Index, opts PageOptions) (string, error) {
	t.Helper()
	var b strings.Builder
	err := WritePage(&b, ix, opts)
	return b.String(), err
}

func TestPageRows(t *testing.T) {
	p := readPhases(t)
	ix, err := NewIndex(p, Options{Rows: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, rows := range []int{5, 20, 30, 100} {
		if _, err := writePageString(t, ix, PageOptions{Rows: rows}); !errors.Is(err, ErrRows) {
			t.Errorf("a page of %d rows of an index of 50: %v, want ErrRows", rows, err)
		}
	}
	for _, rows := range []int{0, 10, 25, 50} {
		page, err := writePageString(t, ix, PageOptions{Rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		want := rows
		if rows == 0 {
			want = 50
		}
		if meta := pageMetaOf(t, page); meta.Rows != 50 || meta.View != want {
			t.Errorf("rows %d: the page has %d rows, shows %d", rows, meta.Rows, meta.View)
		}
	}
}

// The title is escaped, and nothing in the data ends its script element.
func TestPageEscapes(t *testing.T) {
	p := readPhases(t)
	ix, err := NewIndex(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const title = `</script><b>&"`
	page, err := writePageString(t, ix, PageOptions{Title: title})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(page, "</script>") != 3 || !strings.Contains(page, "<h1>&lt;/script&gt;&lt;b&gt;&amp;&#34;</h1>") {
		t.Errorf("the title is not escaped:\n%.600s", page)
	}
	if meta := pageMetaOf(t, page); meta.Title != title {
		t.Errorf("the data's title is %q", meta.Title)
	}
}

// The page holds the idle CPUs' stacks only when the index counts them.
func TestPageIdle(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "gen-idle.perf.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ReadPerfScript(f, PerfOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, idle := range []bool{false, true} {
		ix, err := NewIndex(p, Options{Idle: idle})
		if err != nil {
			t.Fatal(err)
		}
		page, err := writePageString(t, ix, PageOptions{})
		if err != nil {
			t.Fatal(err)
		}
		names := pageMetaOf(t, page).Names
		if has := slices.Contains(names, "swapper") && slices.ContainsFunc(names, func(s string) bool { return strings.Contains(s, "idle") }); has != idle {
			t.Errorf("idle %v: the page has the idle stacks' names: %v", idle, has)
		}
	}
}
