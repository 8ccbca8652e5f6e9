package scope

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func FuzzReadOffCPU(f *testing.F) {
	f.Add([]byte(perfOffCPUText))
	f.Add([]byte("sleeps  42/42    [001]    12.000001:    1100000 offcpu-time: \n\t    7f0000001000 ppoll (/lib/libc.so.6)\n\t    55d000001000 nap_short (/tmp/sleeps)\n\n"))
	f.Add([]byte("a 1 [000] 1.5: 1 offcpu-time:\r\n\t1 f->g+0x1 (/x)\r\n\r\nb 2 [000] 0.25: 9000000000 offcpu-time:\n\tffffffff81000000 schedule ([kernel.kallsyms])\n"))
	f.Add([]byte("x 1 [000] 18446744069.414584: 5 offcpu-time: \n"))
	f.Add([]byte("x 1 [000] 1.0 offcpu-time\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadOffCPU(bytes.NewReader(data))
		if err != nil {
			if b != nil {
				t.Fatalf("blocks and an error: %v", err)
			}
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrNoTimestamp) && !errors.Is(err, ErrNoOffCPU) {
				t.Fatalf("error of no sentinel: %v", err)
			}
			return
		}
		if h := b.Histogram(); h.N() != uint64(len(b.Blocks)) {
			t.Fatalf("histogram of %d blocks counts %d", len(b.Blocks), h.N())
		}
		var n uint64
		for _, fh := range b.FuncHistograms() {
			n += fh.N()
		}
		if n != uint64(len(b.Blocks)) {
			t.Fatalf("function histograms of %d blocks count %d", len(b.Blocks), n)
		}
		m, err := b.LatencyMap(LatencyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkMapAgrees(t, b, m)
		if err := b.WriteHistograms(io.Discard, true); err != nil {
			t.Fatal(err)
		}
		if err := WriteLatencyPage(io.Discard, b, LatencyPageOptions{ByFunc: true}); err != nil {
			t.Fatal(err)
		}
	})
}
