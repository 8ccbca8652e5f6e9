package flamegraph_test

import (
	"bytes"
	"flag"
	"fmt"
	"strings"

	"github.com/flamekit/flamekit/flamegraph"
)

func ExampleRender() {
	p, err := flamegraph.Parse(strings.NewReader("main;work;compute 30\nmain;work;io 10\nmain;init 2\n"))
	if err != nil {
		panic(err)
	}
	var svg bytes.Buffer
	if err := flamegraph.Render(&svg, p, flamegraph.Options{Title: "Example"}); err != nil {
		panic(err)
	}
	out := svg.String()
	fmt.Println(strings.Count(out, "<rect") - 1) // frames, without the background
	fmt.Println(strings.Contains(out, "<title>compute (30 samples, 71.43%)</title>"))
	fmt.Println(strings.Contains(out, `data-total="42"`))
	// Output:
	// 6
	// true
	// true
}

func ExampleOptions_RegisterFlags() {
	var opts flamegraph.Options
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	opts.RegisterFlags(fs)
	fs.Parse([]string{"--title", "CPU", "--colors", "java", "--minwidth", "0.5%", "--inverted"})
	fmt.Println(opts.Title, opts.Colors, opts.MinWidth, opts.Inverted, opts.Validate())
	// Output:
	// CPU java 0.5% true <nil>
}
