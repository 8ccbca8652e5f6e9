package scope_test

import (
	"fmt"
	"os"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/scope"
)

// A perf script capture (perf record -g, then perf script) becomes a timed
// profile; its heat map has a column a second and, by default, 50 rows of
// 20 ms, idle samples left out.
func ExampleReadPerfScript() {
	f, err := os.Open("testdata/edge.perf")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	p, err := scope.ReadPerfScript(f, scope.PerfOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := p.HeatMap(scope.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d samples from %.1f s, %d columns of %d rows\n", p.Len(), p.Start(), len(h.Columns), len(h.Rows))
	for c, col := range h.Values {
		n := 0
		for _, v := range col {
			n += v
		}
		fmt.Printf("second %d: %d samples\n", h.Columns[c], n)
	}
	// Output:
	// 9 samples from 100.2 s, 3 columns of 50 rows
	// second 0: 1 samples
	// second 1: 2 samples
	// second 2: 3 samples
}

// A page indexes the profile once, shows its heat map, and makes the flame
// graph of any range selected on it: here the two samples of the cells
// from 1.02 s to 1.04 s (both ends are in the range, as in FlameScope).
func ExampleNewIndex() {
	f, err := os.Open("testdata/edge.perf")
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
	ix, err := scope.NewIndex(p, scope.Options{Rows: 50})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("busiest cell:", ix.HeatMap().MaxValue)
	r, err := scope.ParseRange("1.02,1.04")
	if err != nil {
		fmt.Println(err)
		return
	}
	fg, err := ix.Range(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	fg.WriteTo(os.Stdout)
	// Output:
	// busiest cell: 1
	// Web_Content;main;operator+ 1
	// kworker/0:1;worker_thread;process_one_work 1
}

// Two ranges make a differential profile, as flamekit diff makes one: the
// first range's counts before, the second's after.
func ExampleIndex_Diff() {
	f, err := os.Open("testdata/edge.perf")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	p, err := scope.ReadPerfScript(f, scope.PerfOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ix, err := scope.NewIndex(p, scope.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := ix.Diff(scope.Range{Start: 0, End: 1}, scope.Range{Start: 2, End: 3}, flamegraph.DiffOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	d.WriteTo(os.Stdout)
	// Output:
	// bash;[unknown];[bash] 0 1
	// java;[unknown];java/io/OutputStream:::write 1 0
	// node;JS:~parseBody /srv/app/lib/auth.js:362:36;v8::internal::Scavenger::ScavengeObject 0 1
	// swapper;irq_work_run 0 1
}
