package perfgen_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
	"github.com/flamekit/flamekit/internal/perfgen"
)

// generate writes o's text.
func generate(t *testing.T, o perfgen.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := perfgen.Write(&b, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fold folds perf script text as flamekit collapse does.
func fold(t *testing.T, text []byte, o collapse.PerfOptions) (*flamegraph.Profile, collapse.PerfStats) {
	t.Helper()
	p, st, err := collapse.Perf(bytes.NewReader(text), o)
	if err != nil {
		t.Fatal(err)
	}
	if p.Skipped.Lines != 0 {
		t.Fatalf("collapse skipped lines of generated text: %s", p.Skipped)
	}
	return p.Folded(), st.Perf
}

// TestWriteRepeatable checks that the same options make the same text and
// another seed another.
func TestWriteRepeatable(t *testing.T) {
	o := perfgen.Options{Samples: 300, Seed: 5}
	a, b := generate(t, o), generate(t, o)
	if !bytes.Equal(a, b) {
		t.Fatal("the same options made different text")
	}
	o.Seed = 6
	if bytes.Equal(a, generate(t, o)) {
		t.Fatal("another seed made the same text")
	}
}

// TestWriteShape folds 3500 samples (about 10 MB) and checks what the
// benchmarks rely on: every sample folds, the counts are the periods of
// 999 Hz, samples are about 2.8 KB of 28 frames, the catalogues give about
// 1200 distinct folded stacks, and every kind of thread and frame the
// generator promises is there.
func TestWriteShape(t *testing.T) {
	const n = 3500
	text := generate(t, perfgen.Options{Samples: n, Seed: 1})
	p, st := fold(t, text, collapse.PerfOptions{})
	if st.Samples != n || st.Event != "cpu-clock" || st.Truncated {
		t.Errorf("stats %+v, want %d cpu-clock samples", st, n)
	}
	if got, want := p.Total(), float64(n*1001001); got != want {
		t.Errorf("total %v, want %v (%d samples of period 1001001)", got, want, n)
	}
	if perSample := len(text) / n; perSample < 2300 || perSample > 3300 {
		t.Errorf("%d bytes a sample, want about 2800", perSample)
	}
	if frames := bytes.Count(text, []byte("\n\t")); frames < 24*n || frames > 33*n {
		t.Errorf("%.1f frames a sample, want about 28", float64(frames)/n)
	}
	if len(p.Stacks) < 900 || len(p.Stacks) > 1600 {
		t.Errorf("%d distinct folded stacks, want about 1200", len(p.Stacks))
	}
	var folded strings.Builder
	if _, err := p.WriteTo(&folded); err != nil {
		t.Fatal(err)
	}
	out := folded.String()
	for _, want := range []string{
		"\nhttp-nio-8080-e;clone3;start_thread;thread_native_entry;Thread::call_run;",
		"java/lang/Thread:::run;",                    // perf-map-agent JIT frames
		";void java.util.concurrent.FutureTask.run;", // -XX:+DumpPerfMapAtExit names
		"\nGC_Thread#",
		"\nC2_CompilerThre;",
		"\napi-server;runtime.goexit.abi0;net/http.(*conn).serve;",
		"[go.shape.string]",
		"::(anonymous namespace)::",   // demangled C++
		", cachesrv::store::Value>::", // templates
		"\ndbshard;clone3;start_thread;execute_native_thread_routine;_ZNSt6thread11_State_impl", // mangled C++
		"\npython3;_start;__libc_start_main_impl;",
		";JS:*", ";JS:~", ";Builtin:JSEntry;",
		"\ncc1;[unknown];",
		"\nkworker/",
		"\nswapper;common_startup_64;",
		";entry_SYSCALL_64_after_hwframe;do_syscall_64;",
		";asm_exc_page_fault;",
		";runtime.nanotime1;[[vdso]] ",
		";runtime.nanotime1;__vdso_clock_gettime ",
		"\nwal-writer;",
		"\npool-1-thread-",
		"\nio-worker-",
	} {
		if !strings.Contains("\n"+out, want) {
			t.Errorf("the folded profile has no %q", want)
		}
	}
}

// TestWritePIDTID checks the `comm PID/TID` headers and another event:
// folded with --tid, the process frames carry the pids and tids of the
// threads.
func TestWritePIDTID(t *testing.T) {
	text := generate(t, perfgen.Options{Samples: 2000, Seed: 2, PIDTID: true, Event: "cycles:u", Freq: 499})
	if !bytes.Contains(text, []byte(" 4242/4300 ")) && !bytes.Contains(text, []byte(" 3120/3120 ")) {
		t.Error("no PID/TID header of the JVM's or the Go service's first thread")
	}
	p, st := fold(t, text, collapse.PerfOptions{TID: true})
	if st.Event != "cycles:u" || st.Samples != 2000 {
		t.Errorf("stats %+v, want 2000 samples of cycles:u", st)
	}
	if got, want := p.Total(), float64(2000*2004008); got != want {
		t.Errorf("total %v, want %v (period of 499 Hz)", got, want)
	}
	procs := map[string]bool{}
	for _, s := range p.Stacks {
		proc, _, _ := strings.Cut(s.Frames, ";")
		procs[proc] = true
	}
	// stackcollapse-perf.pl writes pid 0 as "?".
	for _, want := range []string{"node-7010/7010", "python3-6100/6100", "wal-writer-2950/2970", "swapper-?/0"} {
		if !procs[want] {
			t.Errorf("no process frame %q among %d", want, len(procs))
		}
	}
}

// TestWriteStacks checks that Stacks sets the number of distinct stacks
// (folded per comm: the thread pools' comms multiply them, and each role
// has at least 8).
func TestWriteStacks(t *testing.T) {
	few, _ := fold(t, generate(t, perfgen.Options{Samples: 20000, Seed: 1, Stacks: 300}), collapse.PerfOptions{})
	many, _ := fold(t, generate(t, perfgen.Options{Samples: 20000, Seed: 1, Stacks: 8000}), collapse.PerfOptions{})
	if len(few.Stacks) > 700 || len(many.Stacks) < 3*len(few.Stacks) {
		t.Errorf("%d distinct stacks with Stacks 300, %d with 8000", len(few.Stacks), len(many.Stacks))
	}
}

// TestWriteBadOptions checks that impossible options are refused.
func TestWriteBadOptions(t *testing.T) {
	for _, o := range []perfgen.Options{{Samples: -1}, {Samples: 1, CPUs: -2}, {Samples: 1, Freq: -1}, {Samples: 1, Stacks: -5}} {
		var b bytes.Buffer
		if err := perfgen.Write(&b, o); !errors.Is(err, perfgen.ErrOptions) {
			t.Errorf("%+v: got %v, want ErrOptions", o, err)
		}
	}
}
