package scope

import (
	"bytes"
	"compress/gzip"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// perfOffCPUText is shaped as perf 6.15's perf script prints a capture of
// `perf record --off-cpu -g` with cycles samples: timed offcpu-time samples
// (blocks longer than --off-cpu-thresh) among cycles samples, then the
// untimed sums perf writes at the end.
const perfOffCPUText = `# ========
# captured on    : Sat Dec  5 10:00:00 2026
# ========
#
            perf  774767 [003] 28178.033444:        497           cycles:P:  ffffffff91a160c3 native_sched_clock+0x43 ([kernel.kallsyms])
    blueman-tray    1355 [000] 28178.627906:  100184571 offcpu-time: 
	    7528eef1c39d __poll+0x4d (/usr/lib/libc.so.6)
	    7528edf7d8fd [unknown] (/usr/lib/libglib-2.0.so.0.8000.2)
	    7528edf1af95 g_main_context_iteration+0x35 (/usr/lib/libglib-2.0.so.0.8000.2)


    blueman-tray    1355 [000] 28178.728137:  100187539 offcpu-time: 
	ffffffff91a1ae99 schedule+0x59 ([kernel.kallsyms])
	    7528edf7d8fd [unknown] (/usr/lib/libglib-2.0.so.0.8000.2)


         swapper       0 [001] 28178.036639:  376650973           cycles:P:  ffffffff91a1ae99 intel_idle+0x59 ([kernel.kallsyms])
 kworker/u8:2-ev     201 [002] 28178.800000:       1500 offcpu-time: 
	ffffffff91a1ae99 worker_thread+0x59 ([kernel.kallsyms])

java 14375/14380 [022] 28179.000000123:    2000000 offcpu-time: 
	    7f92bdd98965 Ljava/lang/Object;::wait->park_internal+0x10 (/tmp/perf-14375.map)

sshd  708098 [000] 18446744069.414584:     286392 offcpu-time: 
	    79a864f1c8bb ppoll+0x4b (/usr/lib/libc.so.6)

sshd  708099 [000] 18446744069.414585:     1000 offcpu-time: 
	    79a864f1c8bb [unknown] ([unknown])
`

func TestReadOffCPU(t *testing.T) {
	b, err := ReadOffCPU(strings.NewReader(perfOffCPUText))
	if err != nil {
		t.Fatal(err)
	}
	want := &Blocks{
		Blocks: []Block{
			{End: 28178*time.Second + 627906*time.Microsecond, Duration: 100184571, Func: 0},
			{End: 28178*time.Second + 728137*time.Microsecond, Duration: 100187539, Func: 1},
			{End: 28178*time.Second + 800*time.Millisecond, Duration: 1500, Func: -1},
			{End: 28179*time.Second + 123, Duration: 2 * time.Millisecond, Func: 2},
		},
		Funcs:        []string{"__poll", "[libglib-2.0.so.0.8000.2]", "park_internal"},
		Untimed:      2,
		UntimedTotal: 287392,
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("got  %+v\nwant %+v", b, want)
	}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(perfOffCPUText))
	zw.Close()
	if b2, err := ReadOffCPU(&gz); err != nil || !reflect.DeepEqual(b2, want) {
		t.Errorf("gzipped: %+v, %v", b2, err)
	}
}

func TestReadOffCPUFails(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       error
		msg        string // in the error
	}{
		{"perf 6.1's untimed sums alone", "sshd  708098 [000] 18446744069.414584:     286392 offcpu-time: \n\t    79a864f1c8bb ppoll+0x4b (/usr/lib/libc.so.6)\n", ErrNoTimestamp, "--off-cpu-thresh 0"},
		{"no offcpu-time sample", "perf 1 [000] 1.000000: 1 cycles:P: \n\tffffffff91a160c3 f ([kernel.kallsyms])\n", ErrNoOffCPU, ""},
		{"empty", "", ErrNoOffCPU, ""},
		{"no time field", "sleeps 42/42 [000] 1500000 offcpu-time: \n", ErrNoTimestamp, "line 1"},
		{"no period", "sleeps 42/42 [000] 3.000000: offcpu-time: \n", ErrFormat, "-F ...,period"},
		{"time no number", "x 1 [000] 1.2.3: 5 offcpu-time: \n", ErrFormat, `time "1.2.3"`},
		{"time out of range", "x 1 [000] 10000000000.0: 5 offcpu-time: \n", ErrFormat, "time"},
		{"period out of range", "x 1 [000] 1.0: 99999999999999999999 offcpu-time: \n", ErrFormat, "period"},
	} {
		b, err := ReadOffCPU(strings.NewReader(c.text))
		if !errors.Is(err, c.want) || b != nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, %v; want %v with %q", c.name, b, err, c.want, c.msg)
			continue
		}
		if n := strings.Count(err.Error(), "scope:"); n != 1 {
			t.Errorf("%s: %q says scope: %d times", c.name, err, n)
		}
	}
}
