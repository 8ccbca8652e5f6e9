package profile_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/symbolize"
)

var exampleSink uint64

//go:noinline
func exampleBusyLoop(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := uint64(0); i < 100000; i++ {
			exampleSink += i * i
		}
	}
}

// A Go program profiles itself, without root, through the perf backend.
func ExampleStart() {
	s, err := profile.Start(context.Background(), profile.Options{Self: true, Backend: profile.BackendPerf, Frequency: 999, UserOnly: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	exampleBusyLoop(500 * time.Millisecond)
	p, err := s.Stop()
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf strings.Builder
	p.Folded(profile.FoldOptions{}).WriteTo(&buf)
	fmt.Println(strings.Contains(buf.String(), "profile_test.exampleBusyLoop"))
	// Output: true
}

// A Profile folds into the stacks a flame graph draws, weighted by samples
// or by CPU time; Failures counts, by cause, the samples kept with an
// incomplete stack.
func ExampleProfile_Folded() {
	named := func(name string, kind symbolize.Kind) profile.Location {
		return profile.Location{Frames: []symbolize.Frame{{Function: name, Kind: kind}}}
	}
	p := &profile.Profile{
		Event: profile.Event{Name: "cpu-clock", Unit: "nanoseconds"},
		Samples: []profile.Sample{{
			PID: 42, Comm: "server",
			User:   []profile.Location{named("read", symbolize.KindNative), named("handle", symbolize.KindNative), named("main", symbolize.KindNative)},
			Kernel: []profile.Location{named("vfs_read", symbolize.KindKernel), named("ksys_read", symbolize.KindKernel)},
			Count:  3, Value: 30_000_000,
		}},
		Failures: map[string]uint64{profile.FailureUserStackLoop: 1},
	}
	p.Folded(profile.FoldOptions{}).WriteTo(os.Stdout)
	p.Folded(profile.FoldOptions{Values: true, PID: true}).WriteTo(os.Stdout)
	fmt.Println("user stacks cut at a loop of frames:", p.Failures[profile.FailureUserStackLoop])
	// Output:
	// server;main;handle;read;ksys_read_[k];vfs_read_[k] 3
	// server-42;main;handle;read;ksys_read_[k];vfs_read_[k] 30000000
	// user stacks cut at a loop of frames: 1
}
