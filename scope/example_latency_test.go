package scope_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/flamekit/flamekit/scope"
)

// Two threads' blocks, as `flamekit record --off-cpu -o run.perf` writes
// them: three short reads and one long sleep. The histogram is bcc's.
func ExampleReadOffCPU() {
	const text = `server 100/101 [000] 10.001000: 1200000 offcpu-time:
	    401136 read+0x16 (/usr/lib/x86_64-linux-gnu/libc.so.6)
	    401200 wait_for_answer+0x10 (/opt/server)

server 100/101 [000] 10.004000: 1500000 offcpu-time:
	    401136 read+0x16 (/usr/lib/x86_64-linux-gnu/libc.so.6)
	    401200 wait_for_answer+0x10 (/opt/server)

server 100/101 [000] 10.007000: 1300000 offcpu-time:
	    401136 read+0x16 (/usr/lib/x86_64-linux-gnu/libc.so.6)
	    401200 wait_for_answer+0x10 (/opt/server)

server 100/102 [001] 10.200000: 100000000 offcpu-time:
	    401300 clock_nanosleep+0x20 (/usr/lib/x86_64-linux-gnu/libc.so.6)
	    401400 nap+0x10 (/opt/server)

`
	b, err := scope.ReadOffCPU(strings.NewReader(text))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(b.Blocks), "blocks")
	b.Histogram().WriteTo(os.Stdout)
	// Output:
	// 4 blocks
	//      usecs               : count     distribution
	//          0 -> 1          : 0        |                                        |
	//          2 -> 3          : 0        |                                        |
	//          4 -> 7          : 0        |                                        |
	//          8 -> 15         : 0        |                                        |
	//         16 -> 31         : 0        |                                        |
	//         32 -> 63         : 0        |                                        |
	//         64 -> 127        : 0        |                                        |
	//        128 -> 255        : 0        |                                        |
	//        256 -> 511        : 0        |                                        |
	//        512 -> 1023       : 0        |                                        |
	//       1024 -> 2047       : 3        |****************************************|
	//       2048 -> 4095       : 0        |                                        |
	//       4096 -> 8191       : 0        |                                        |
	//       8192 -> 16383      : 0        |                                        |
	//      16384 -> 32767      : 0        |                                        |
	//      32768 -> 65535      : 0        |                                        |
	//      65536 -> 131071     : 1        |*************                           |
	//
	// avg = 26000 usecs, total: 104000 usecs, count: 4
}
