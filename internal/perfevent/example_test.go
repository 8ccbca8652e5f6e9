package perfevent_test

import (
	"fmt"
	"log"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/perfevent"
)

// Sample the calling thread's user stacks on cpu-clock at 99 Hz, as an
// unprivileged process may, and print each sample's user stack depth.
func Example() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a := perfevent.SampleOptions{
		Event:     unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_CLOCK},
		Frequency: 99, ExcludeKernel: true,
	}.Attr()
	ev, err := perfevent.Open(&a, 0, -1)
	if err != nil {
		log.Fatal(err) // errors.Is(err, perfevent.ErrPermission) says what to change
	}
	defer ev.Close()
	ring, err := ev.Mmap(8)
	if err != nil {
		log.Fatal(err)
	}
	defer ring.Close()
	ev.Enable()
	// ... work ...
	ev.Disable()
	ring.Read(func(rec []byte) {
		r, err := perfevent.ParseRecord(rec, &a)
		if err != nil || r.Type != perfevent.RecordSample {
			return
		}
		_, user := perfevent.SplitCallchain(r.Callchain)
		fmt.Println(r.TID, len(user))
	})
}
