package scope

import (
	"bytes"
	"fmt"
	"testing"
)

// offCPUText makes perf script text of n off-CPU blocks, each with a
// kernel stack of 6 frames and a user stack of 8, durations from 1 µs to
// about a second.
func offCPUText(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "worker %5d/%-5d [%03d] %5d.%06d: %10d offcpu-time: \n", 4000+i%8, 4000+i%64, i%4, 1000+i/1000, i%1000*1000, 1000<<(i%20))
		for k := range 6 {
			fmt.Fprintf(&b, "\t%16x kernel_function_%d+0x%x ([kernel.kallsyms])\n", uint64(0xffffffff81000000)+uint64(k)*0x1000, k, k*16)
		}
		for k := range 8 {
			fmt.Fprintf(&b, "\t%16x user_function_%d+0x%x (/usr/lib/libworker.so)\n", 0x7f0000001000+(i%32)*0x100+k*0x1000, (i+k)%32, k*16)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func BenchmarkReadOffCPU(b *testing.B) {
	text := offCPUText(100000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		blocks, err := ReadOffCPU(bytes.NewReader(text))
		if err != nil || len(blocks.Blocks) != 100000 {
			b.Fatal(err)
		}
	}
}
