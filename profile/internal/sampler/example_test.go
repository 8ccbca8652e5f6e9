package sampler_test

import (
	"fmt"

	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// A backend opens an event on each CPU of the kernel's list of online CPUs.
func ExampleParseCPUList() {
	cpus, err := sampler.ParseCPUList("0-2,5")
	fmt.Println(cpus, err)
	// Output: [0 1 2 5] <nil>
}
