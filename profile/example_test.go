package profile_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/flamekit/flamekit/profile"
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
