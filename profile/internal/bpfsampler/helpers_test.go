package bpfsampler

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// startTest starts the eBPF backend and closes it when the test ends.
func startTest(t *testing.T, cfg sampler.Config) *Sampler {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stopEvents stops sampling without closing, so that a drain then sees
// every sample taken.
func stopEvents(t *testing.T, s *Sampler) {
	t.Helper()
	for _, e := range s.events {
		if err := e.Disable(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(grace)
}

// mapLen counts the keys of m.
func mapLen(t *testing.T, m *ebpf.Map) int {
	t.Helper()
	n := 0
	var k, v []byte
	it := m.Iterate()
	for it.Next(&k, &v) {
		n++
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// monotonicNow reads CLOCK_MONOTONIC, the clock of timed samples.
func monotonicNow(t *testing.T) uint64 {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return uint64(ts.Nano())
}

// kernelSyms names kernel text addresses from /proc/kallsyms. It is a test
// aid, not a symbolizer.
type kernelSyms struct {
	addrs []uint64
	names []string
}

func readKallsyms(t *testing.T) *kernelSyms {
	t.Helper()
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type sym struct {
		addr uint64
		name string
	}
	var syms []sym
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 || (fs[1] != "t" && fs[1] != "T") {
			continue
		}
		a, err := strconv.ParseUint(fs[0], 16, 64)
		if err == nil && a != 0 {
			syms = append(syms, sym{a, fs[2]})
		}
	}
	if len(syms) == 0 {
		t.Fatal("no kernel text symbols with addresses in /proc/kallsyms")
	}
	sort.Slice(syms, func(i, j int) bool { return syms[i].addr < syms[j].addr })
	k := new(kernelSyms)
	for _, s := range syms {
		k.addrs = append(k.addrs, s.addr)
		k.names = append(k.names, s.name)
	}
	return k
}

// name returns the symbol at or below addr.
func (k *kernelSyms) name(addr uint64) string {
	i := sort.Search(len(k.addrs), func(i int) bool { return k.addrs[i] > addr })
	if i == 0 {
		return ""
	}
	return k.names[i-1]
}
