package scope_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/flamekit/flamekit/scope"
)

// A service serves the scope page of a profile: its heat map, and in the
// browser the flame graph of any range selected on it. Index at 100 rows
// to let the page offer 10, 20, 25, 50 and 100.
func ExampleWritePage() {
	f, err := os.Open("testdata/phases.perf.gz")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	p, _, err := scope.Read(f, scope.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ix, err := scope.NewIndex(p, scope.Options{Rows: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := scope.WritePage(w, ix, scope.PageOptions{Rows: 50, Title: "phases"}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if line := lines.Text(); strings.HasPrefix(line, "<!DOCTYPE") || strings.HasPrefix(line, "<title>") {
			fmt.Println(line)
		}
	}
	// Output:
	// <!DOCTYPE html>
	// <title>phases</title>
}
