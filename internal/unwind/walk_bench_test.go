package unwind

import "testing"

// BenchmarkWalk walks stacks of real programs, stopped at random: the
// ns/frame and ns/sample it reports are the perf backend's cost of
// unwinding a sample in user space, against frame pointers over the same
// copies ("fp": the same walk with every table left out).
func BenchmarkWalk(b *testing.B) {
	for _, mode := range []string{"nested", "qsort", "signal"} {
		c := startWalkProgram(b, mode, omitFP...)
		withCFI, fpOnly := walkProcesses(b, c.Process.Pid)
		caps := captureStacks(b, c.Process.Pid, 100)
		for _, run := range []struct {
			name string
			p    *Process
		}{{"cfi", withCFI}, {"fp", fpOnly}} {
			b.Run(mode+"/"+run.name, func(b *testing.B) {
				buf := make([]uint64, 0, MaxDepth)
				frames := 0
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					c := &caps[i%len(caps)]
					pcs, _ := Walk(run.p, &c.regs, c.stack, buf[:0])
					frames += len(pcs)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/sample")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
				b.ReportMetric(float64(frames)/float64(b.N), "frames/sample")
			})
		}
	}
}
