package collapse_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/flamekit/flamekit/flamegraph/collapse"
)

func ExamplePerf() {
	// Two samples as `perf script` prints them: a header, then one line per
	// frame from the leaf to the root, then a blank line.
	const script = `java 4242/4250 [001] 1000.000001:    1001001 cpu-clock: 
	ffffffff81c9a5b1 clear_page_erms+0x11 ([kernel.kallsyms])
	    7f0a1c93872f Ljava/util/HashMap;::putVal (/tmp/perf-4242.map)
	    7f0a1c951505 Interpreter+0x10985 (/tmp/perf-4242.map)
	    7f0a2b1a2b3c thread_native_entry(Thread*)+0xe5 (/usr/lib/jvm/lib/server/libjvm.so)

java 4242/4250 [001] 1000.001002:    1001001 cpu-clock: 
	    7f0a1c93872f Ljava/util/HashMap;::putVal (/tmp/perf-4242.map)
	    7f0a1c951505 Interpreter+0x10985 (/tmp/perf-4242.map)
	    7f0a2b1a2b3c thread_native_entry(Thread*)+0xe5 (/usr/lib/jvm/lib/server/libjvm.so)

`
	p, stats, err := collapse.Perf(strings.NewReader(script), collapse.PerfOptions{Kernel: true, JIT: true, PID: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	p.WriteTo(os.Stdout)
	fmt.Printf("%d samples of %s\n", stats.Perf.Samples, stats.Perf.Event)
	// Output:
	// java-4242;thread_native_entry;Interpreter_[j];java/util/HashMap:::putVal_[j] 1001001
	// java-4242;thread_native_entry;Interpreter_[j];java/util/HashMap:::putVal_[j];clear_page_erms_[k] 1001001
	// 2 samples of cpu-clock
}
