package collapse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse/internal/perfscript"
	"github.com/flamekit/flamekit/internal/golden"
)

// The captures in testdata/perf were recorded on this project's test machine
// (Debian 12, perf 6.1.187, kernel 6.x, 2 vCPUs) with
//
//	perf record -e cpu-clock -F 999 -g -- ./work              (c-fp: a C program
//	    built with gcc -O2 -g -fno-omit-frame-pointer)
//	perf record -e cpu-clock -F 999 --call-graph dwarf -- ./work, then
//	    perf script --inline                                   (c-dwarf-inline:
//	    inlined frames, which perf prints with the dso "(inlined)")
//	perf record -e cpu-clock -F 499 -g -- java -XX:+UnlockDiagnosticVMOptions
//	    -XX:+PreserveFramePointer -XX:+DumpPerfMapAtExit Work (java: JDK 17,
//	    JIT frames from /tmp/perf-PID.map, comms with spaces)
//	perf record -e cpu-clock -F 499 -g -- node --perf-basic-prof work.js
//	    (node: Node 20, JIT frames "JS:*fn file:line:col")
//	perf record -e cpu-clock -e page-faults -F 499 -g -- ./work (multi-event)
//
// followed by a plain `perf script`; the -pidtid variants are
// `perf script -F comm,pid,tid,time,period,event,ip,sym,dso` of the same
// recording. "real" is ../../testdata/perf-script-real.txt.gz, a system-wide
// capture (perf record -e cpu-clock -F 999 -g -a) whose headers show the TID
// only.
//
// Each CAPTURE.OPT.perl.folded.gz is the output of stackcollapse-perf.pl
// (FlameGraph @41fee1f9) with the flag OPT ("default" is none; "event-EV" is
// --event-filter=EV) on that capture; see testdata/perf/README.md. -update
// regenerates them from the FlameGraph checkout at $FLAMEGRAPH_DIR.

// perfInput returns a capture's text.
func perfInput(t testing.TB, capture string) []byte {
	t.Helper()
	path := filepath.Join("testdata", "perf", capture+".txt.gz")
	if capture == "real" {
		path = filepath.Join("..", "..", "testdata", "perf-script-real.txt.gz")
	}
	return readMaybeGzip(t, path)
}

// perfOptionsFor maps a golden file's option name to PerfOptions.
func perfOptionsFor(t testing.TB, opt string) PerfOptions {
	t.Helper()
	switch opt {
	case "default":
		return PerfOptions{}
	case "pid":
		return PerfOptions{PID: true}
	case "tid":
		return PerfOptions{TID: true}
	case "kernel":
		return PerfOptions{Kernel: true}
	case "jit":
		return PerfOptions{JIT: true}
	case "all":
		return PerfOptions{Kernel: true, JIT: true} // the perl's --all
	case "addrs":
		return PerfOptions{Addrs: true}
	}
	if ev, ok := strings.CutPrefix(opt, "event-"); ok {
		return PerfOptions{EventFilter: ev}
	}
	t.Fatalf("unknown option %q", opt)
	return PerfOptions{}
}

// perlFlags returns the stackcollapse-perf.pl flags of a golden file's
// option name.
func perlFlags(opt string) []string {
	if opt == "default" {
		return nil
	}
	if ev, ok := strings.CutPrefix(opt, "event-"); ok {
		return []string{"--event-filter=" + ev}
	}
	return []string{"--" + opt}
}

// perlFold runs stackcollapse-perf.pl from $FLAMEGRAPH_DIR on a capture
// with the flags of opt (-update).
func perlFold(t *testing.T, in []byte, opt string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "perf.txt")
	if err := os.WriteFile(path, in, 0o644); err != nil {
		t.Fatal(err)
	}
	return golden.FlameGraph(t, "stackcollapse-perf.pl", append(perlFlags(opt), path)...)
}

// perfSizes returns the default sizes with the given chunk size.
func perfSizes(chunk int) perfscript.Sizes {
	s := perfscript.DefaultSizes
	s.Chunk = chunk
	return s
}

// perfFold folds input with a given chunk size (and the default memo) and
// returns the folded text, the profile and the stats.
func perfFold(t testing.TB, in []byte, opts PerfOptions, chunk int) (string, *flamegraph.Profile, PerfStats) {
	t.Helper()
	p, st, err := perf(bytes.NewReader(in), opts, perfSizes(chunk))
	if err != nil {
		t.Fatal(err)
	}
	return foldedText(t, p), p, st.Perf
}

// firstDiff describes the first line where two folded texts differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %q\n want %q", i+1, gl, wl)
		}
	}
	return "no difference"
}

// TestPerfMatchesPerl checks Perf byte for byte against the output of
// stackcollapse-perf.pl on every capture with every flag: with one
// goroutine, with the memo of sample bodies off, and with four goroutines on
// small chunks.
func TestPerfMatchesPerl(t *testing.T) {
	goldens, err := filepath.Glob("testdata/perf/*.perl.folded.gz")
	if err != nil || len(goldens) < 60 {
		t.Fatalf("want the perl outputs in testdata/perf, found %d (%v)", len(goldens), err)
	}
	for _, goldenPath := range goldens {
		name := strings.TrimSuffix(filepath.Base(goldenPath), ".perl.folded.gz")
		capture, opt, _ := strings.Cut(name, ".")
		t.Run(name, func(t *testing.T) {
			in := perfInput(t, capture)
			opts := perfOptionsFor(t, opt)
			if *update {
				golden.Write(t, goldenPath, perlFold(t, in, opt))
			}
			want := string(golden.Read(t, goldenPath))
			got, p, _ := perfFold(t, in, opts, perfscript.DefaultSizes.Chunk)
			if got != want {
				t.Errorf("differs from stackcollapse-perf.pl at %s", firstDiff(got, want))
			}
			if p.Skipped.Lines != 0 {
				t.Errorf("skipped lines in a real capture: %s", p.Skipped)
			}
			noMemo := perfscript.DefaultSizes
			noMemo.Memo = 0
			if q, _, err := perf(bytes.NewReader(in), opts, noMemo); err != nil {
				t.Fatal(err)
			} else if got := foldedText(t, q); got != want {
				t.Errorf("without the memo, differs from stackcollapse-perf.pl at %s", firstDiff(got, want))
			}
			opts.Threads = 4
			if got4, _, _ := perfFold(t, in, opts, 4096); got4 != want {
				t.Errorf("Threads=4 differs from stackcollapse-perf.pl at %s", firstDiff(got4, want))
			}
		})
	}
}

// TestPerfTotals checks on every capture that the counts add up to the sum
// of the periods in the headers of the event kept, and that every sample is
// counted.
func TestPerfTotals(t *testing.T) {
	for _, capture := range []string{"real", "c-fp", "c-fp-pidtid", "c-dwarf-inline", "java", "java-pidtid", "node", "node-pidtid", "multi-event"} {
		t.Run(capture, func(t *testing.T) {
			in := perfInput(t, capture)
			p, stats, err := Perf(bytes.NewReader(in), PerfOptions{})
			if err != nil {
				t.Fatal(err)
			}
			st := stats.Perf
			if st.Event == "" {
				t.Fatal("no event reported")
			}
			// Headers end "PERIOD EVENT: ".
			var sum float64
			samples, other := 0, 0
			for _, line := range strings.Split(string(in), "\n") {
				if line == "" || line[0] == '\t' {
					continue
				}
				f := strings.Fields(line)
				if ev := strings.TrimSuffix(f[len(f)-1], ":"); ev != st.Event {
					other++
					continue
				}
				v, err := strconv.ParseFloat(f[len(f)-2], 64)
				if err != nil {
					t.Fatalf("header %q: %v", line, err)
				}
				sum += v
				samples++
			}
			if got := p.Total(); got != sum {
				t.Errorf("total %v, want the sum of the periods %v", got, sum)
			}
			if st.Samples != samples || st.Filtered != other || st.Truncated {
				t.Errorf("stats %+v, want %d samples and %d filtered", st, samples, other)
			}
		})
	}
}

// TestPerfThreads checks that Threads > 1 gives the same profile, skipped
// lines and stats as one goroutine, whatever the chunk size, on inputs with
// junk lines, CRLF line ends, a cut last sample and a long stretch without
// blank lines (where the parallel reader goes on alone).
func TestPerfThreads(t *testing.T) {
	real := perfInput(t, "real")
	junk := bytes.ReplaceAll(real, []byte("\n\ngo "), []byte("\n\nnot a header\ngo "))
	crlf := bytes.ReplaceAll(perfInput(t, "java-pidtid"), []byte("\n"), []byte("\r\n"))
	cut := real[:len(real)*2/3]
	// A third of the samples run together: no sample boundary for long.
	third := len(real) / 3
	noBlank := slices.Concat(real[:third], bytes.ReplaceAll(real[third:2*third], []byte("\n\n"), []byte("\n")), real[2*third:])
	for name, in := range map[string][]byte{"junk": junk, "crlf": crlf, "cut": cut, "no blank": noBlank, "node": perfInput(t, "node")} {
		for _, opts := range []PerfOptions{{}, {TID: true, Kernel: true, JIT: true, Addrs: true}} {
			want, p1, st1 := perfFold(t, in, opts, perfscript.DefaultSizes.Chunk)
			for _, threads := range []int{2, 4, 7} {
				for _, chunk := range []int{64 << 10, 1000, 17} {
					o := opts
					o.Threads = threads
					sizes := perfSizes(chunk)
					sizes.MaxChunk = 64 * chunk
					p, stats, err := perf(bytes.NewReader(in), o, sizes)
					if err != nil {
						t.Fatal(err)
					}
					st := stats.Perf
					if got := foldedText(t, p); got != want {
						t.Errorf("%s: Threads=%d chunk %d differs at %s", name, threads, chunk, firstDiff(got, want))
					}
					if p.Skipped != p1.Skipped || st != st1 {
						t.Errorf("%s: Threads=%d chunk %d: skipped %+v stats %+v, want %+v %+v", name, threads, chunk, p.Skipped, st, p1.Skipped, st1)
					}
				}
			}
		}
	}
}

func TestPerf(t *testing.T) {
	const twoSamples = "V8 WorkerThread 24636/25607 [000] 94564.109216:     104345 cycles: \n" +
		"\t    7f0000001000 v8::internal::Heap::Scavenge(int)+0x10 (/usr/bin/node)\n" +
		"\t    7f0000002000 Builtins_JSEntry+0x20 (/usr/bin/node)\n" +
		"\n" +
		"swapper     0 [000] 158665.570607: cycles:\n" +
		"\tffffffff8103ce3b native_safe_halt ([kernel.kallsyms])\n" +
		"\tffffffff81aebbfe start_kernel ([kernel.kallsyms].init.text)\n" +
		"\n"
	const java = "# comment\n" +
		"java 12688 [002] 6544038.708352: 0 cycles:\n" +
		"\t7f722d142778 Lorg/mozilla/javascript/ContextFactory;.call(Lorg/mozilla/javascript/ContextAction;)Ljava/lang/Object; (/tmp/perf-19982.map)\n" +
		"\t7f722d142779 Ljava/io/PrintStream;::print->Ljava/io/Writer;::write->Ljava/io/Foo;::bar (/tmp/perf-19982.map)\n" +
		"\t7f1e2215d058 [unknown] (/lib/x86_64-linux-gnu/libc-2.15.so)\n" +
		"\t0 [unknown] ([unknown])\n" +
		"\t7f1e2215d058  (/lib/x86_64-linux-gnu/libc-2.15.so)\n" +
		"\t7f1e2215d059 (java) ([unknown])\n" +
		"\n" +
		"this line is junk\n" +
		"perf 99/100 1.0: 5 instructions:\n" +
		"\t1 skipped_frame (/x)\n" +
		"\n"
	const names = "app 7/7 1.5: 3 cycles:\n" +
		"\t1 net/http.(*Client).Do+0x1f (/app)\n" +
		"\t2 ns::(anonymous namespace)::helper(int) const+0x2 (/app)\n" +
		"\t3 RegExp:[&<>\"'] (/tmp/perf-7539.map)\n" +
		"\t4 std::vector<int>::push_back(int const&) (/app)\n" +
		"\t5 a;b;c (/app)\n" +
		"\t6 tcp_sendmsg (/lib/modules/4.3.0-rc1-virtual/build/vmlinux)\n" +
		"\t7 ipv4_conntrack_local+0x7f8f80b8 ([nf_conntrack_ipv4])\n" +
		"\t8 do_sys_open (/usr/lib/debug/boot/vmlinux-6.1.0-18-amd64)\n" +
		"\t9 ext4_sync_file (/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko)\n" +
		"\ta jitted_fn (/root/.debug/jit/java-jit-20240101/jitted-1234-17.so)\n" +
		"\n"
	const namesOut = "app;jitted_fn%s;ext4_sync_file%s;do_sys_open%s;ipv4_conntrack_local%s;tcp_sendmsg%s;a:b:c;" +
		"std::vector<int>::push_back;RegExp:[&<>]%s;ns::(anonymous namespace)::helper;net/http.(*Client).Do 3\n"
	tests := []struct {
		name    string
		in      string
		opts    PerfOptions
		want    string
		skipped flamegraph.Skipped
		stats   PerfStats
	}{{
		name:  "comm with spaces, first event kept",
		in:    twoSamples,
		want:  "V8_WorkerThread;Builtins_JSEntry;v8::internal::Heap::Scavenge 104345\nswapper;start_kernel;native_safe_halt 1\n",
		stats: PerfStats{Event: "cycles", Samples: 2},
	}, {
		// perf record without -a prints no [CPU]; the perl misreads a
		// one-letter comm there, we don't.
		name:  "one-letter comm, no CPU column",
		in:    "w 24758   995.472553:    1001001 cpu-clock: \n\t            1156 alpha_hot+0x1d (/tmp/w)\n\t           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)\n\n",
		opts:  PerfOptions{PID: true},
		want:  "w-?;__libc_start_call_main;alpha_hot 1001001\n",
		stats: PerfStats{Event: "cpu-clock", Samples: 1},
	}, {
		name:  "pid",
		in:    twoSamples,
		opts:  PerfOptions{PID: true},
		want:  "V8_WorkerThread-24636;Builtins_JSEntry;v8::internal::Heap::Scavenge 104345\nswapper-?;start_kernel;native_safe_halt 1\n",
		stats: PerfStats{Event: "cycles", Samples: 2},
	}, {
		name:  "tid",
		in:    twoSamples,
		opts:  PerfOptions{TID: true, PID: true},
		want:  "V8_WorkerThread-24636/25607;Builtins_JSEntry;v8::internal::Heap::Scavenge 104345\nswapper-?/0;start_kernel;native_safe_halt 1\n",
		stats: PerfStats{Event: "cycles", Samples: 2},
	}, {
		name:  "kernel",
		in:    twoSamples,
		opts:  PerfOptions{Kernel: true},
		want:  "V8_WorkerThread;Builtins_JSEntry;v8::internal::Heap::Scavenge 104345\nswapper;start_kernel_[k];native_safe_halt_[k] 1\n",
		stats: PerfStats{Event: "cycles", Samples: 2},
	}, {
		name:  "event filter",
		in:    twoSamples + "idle 5 1.0: 9 cpu-clock:\n\t1 halt ([kernel.kallsyms])\n\n",
		opts:  PerfOptions{EventFilter: "cpu-clock"},
		want:  "idle;halt 9\n",
		stats: PerfStats{Event: "cpu-clock", Samples: 1, Filtered: 2},
	}, {
		name: "java: tidying, inline chains, unknown frames, junk",
		in:   java,
		want: "java; ;[unknown];[libc-2.15.so];java/io/PrintStream:::print;java/io/Writer:::write_[i];java/io/Foo:::bar_[i];" +
			"org/mozilla/javascript/ContextFactory:.call 1\n",
		skipped: flamegraph.Skipped{Lines: 1, FirstLine: 10, First: "this line is junk"},
		stats:   PerfStats{Event: "cycles", Samples: 1, Filtered: 1},
	}, {
		name: "java: all and addrs",
		in:   java,
		opts: PerfOptions{Kernel: true, JIT: true, Addrs: true},
		want: "java; ;[unknown <0>];[libc-2.15.so <7f1e2215d058>];java/io/PrintStream:::print_[j];java/io/Writer:::write_[i];" +
			"java/io/Foo:::bar_[i];org/mozilla/javascript/ContextFactory:.call_[j] 1\n",
		skipped: flamegraph.Skipped{Lines: 1, FirstLine: 10, First: "this line is junk"},
		stats:   PerfStats{Event: "cycles", Samples: 1, Filtered: 1},
	}, {
		name:  "names",
		in:    names,
		want:  fmt.Sprintf(namesOut, "", "", "", "", "", ""),
		stats: PerfStats{Event: "cycles", Samples: 1},
	}, {
		name:  "names, all annotations",
		in:    names,
		opts:  PerfOptions{Kernel: true, JIT: true},
		want:  fmt.Sprintf(namesOut, "_[j]", "_[k]", "_[k]", "_[k]", "_[k]", "_[j]"),
		stats: PerfStats{Event: "cycles", Samples: 1},
	}, {
		name:  "CRLF",
		in:    strings.ReplaceAll(twoSamples, "\n", "\r\n"),
		want:  "V8_WorkerThread;Builtins_JSEntry;v8::internal::Heap::Scavenge 104345\nswapper;start_kernel;native_safe_halt 1\n",
		stats: PerfStats{Event: "cycles", Samples: 2},
	}, {
		name:  "no blank line at the end",
		in:    strings.TrimSuffix(twoSamples, "\n"),
		want:  "V8_WorkerThread;Builtins_JSEntry;v8::internal::Heap::Scavenge 104345\n",
		stats: PerfStats{Event: "cycles", Samples: 1, Truncated: true},
	}, {
		name:    "cut in a frame line",
		in:      twoSamples[:len(twoSamples)-20],
		want:    "V8_WorkerThread;Builtins_JSEntry;v8::internal::Heap::Scavenge 104345\n",
		skipped: flamegraph.Skipped{Lines: 1, FirstLine: 7, First: "\tffffffff81aebbfe start_kernel ([kernel.ka"},
		stats:   PerfStats{Event: "cycles", Samples: 1, Truncated: true},
	}, {
		name:  "invalid UTF-8 and samples without frames",
		in:    "pr\xffg 1 1.0: 2 ev:\n\t1 f\xfe\xfd+0x1 (/bin/x)\n\nnoframes 2 1.0: 3 ev:\n\n",
		want:  "noframes 3\npr\xffg;f\xfe\xfd 2\n",
		stats: PerfStats{Event: "ev", Samples: 2},
	}, {
		name:  "headers without an event",
		in:    "a b 12 x\n\t1 f (/x)\n\ncmd 1/2 y\n\t1 g (/x)\n\n",
		opts:  PerfOptions{TID: true},
		want:  "a_b-?/12;f 1\ncmd-1/2;g 1\n",
		stats: PerfStats{Samples: 2},
	}, {
		name:    "empty and junk input",
		in:      "\n\n#x\nnothing here\n\t\n",
		want:    "",
		skipped: flamegraph.Skipped{Lines: 2, FirstLine: 4, First: "nothing here"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, threads := range []int{1, 3} {
				opts := tc.opts
				opts.Threads = threads
				got, p, st := perfFold(t, []byte(tc.in), opts, 16)
				if got != tc.want {
					t.Errorf("Threads=%d: got\n%s\nwant\n%s", threads, got, tc.want)
				}
				if p.Skipped != tc.skipped {
					t.Errorf("Threads=%d: skipped %+v, want %+v", threads, p.Skipped, tc.skipped)
				}
				if st != tc.stats {
					t.Errorf("Threads=%d: stats %+v, want %+v", threads, st, tc.stats)
				}
			}
		})
	}
}

// TestPerfStreams checks that memory does not grow with the input: folding
// 64 MiB of samples drawn from a few hundred distinct stacks allocates a
// small fraction of that.
func TestPerfStreams(t *testing.T) {
	in := perfInput(t, "c-fp")
	const size = 64 << 20
	r := io.LimitReader(&repeatReader{data: in}, size)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, st, err := Perf(r, PerfOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if st.Perf.Samples < 10000 || len(p.Stacks) > 1000 {
		t.Fatalf("%d samples, %d stacks: the input is not what the test wants", st.Perf.Samples, len(p.Stacks))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("folding %d MiB allocated %d KiB", size>>20, alloc>>10)
	}
}

// repeatReader reads its data over and over.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k := copy(b[n:], r.data[r.off:])
		n += k
		r.off = (r.off + k) % len(r.data)
	}
	return n, nil
}

// TestPerfReadError checks that a read error is returned, wrapped, with the
// samples read before it.
func TestPerfReadError(t *testing.T) {
	in := perfInput(t, "c-fp")
	boom := errors.New("boom")
	for _, threads := range []int{1, 4} {
		r := io.MultiReader(bytes.NewReader(in), iotest.ErrReader(boom))
		p, st, err := perf(r, PerfOptions{Threads: threads}, perfSizes(4096))
		if !errors.Is(err, boom) {
			t.Fatalf("Threads=%d: error %v, want one wrapping %v", threads, err, boom)
		}
		if p == nil || st.Perf.Samples == 0 {
			t.Errorf("Threads=%d: no samples before the error", threads)
		}
	}
}

// TestPerfLongLines checks lines longer than the read buffer, and readers
// that return one byte at a time.
func TestPerfLongLines(t *testing.T) {
	long := strings.Repeat("x", 5000)
	in := "comm 1 1.0: 2 ev:\n\t1 " + long + "+0x1 (/bin/" + long + ")\n\t2 main (/bin/x)\n\n"
	want := "comm;main;" + long + " 2\n"
	for _, threads := range []int{1, 2} {
		p, _, err := perf(iotest.OneByteReader(strings.NewReader(in)), PerfOptions{Threads: threads}, perfSizes(64))
		if err != nil {
			t.Fatal(err)
		}
		if got := foldedText(t, p); got != want {
			t.Errorf("Threads=%d: got %.80q…", threads, got)
		}
	}
}

// FuzzPerf checks on any input that Perf does not fail or panic, that its
// stacks are sorted, distinct and non-negative, and that neither the chunk
// size, the reads, the number of goroutines nor the memo (on, off, or too
// small for some samples) change the result.
func FuzzPerf(f *testing.F) {
	for _, capture := range []string{"real", "c-fp-pidtid", "c-dwarf-inline", "java", "node", "multi-event"} {
		in := perfInput(f, capture)
		// A few samples from the start and from the middle.
		for _, off := range []int{0, len(in) / 2} {
			s := in[off:]
			if i := bytes.Index(s, []byte("\n\n")); off > 0 && i >= 0 {
				s = s[i+2:]
			}
			f.Add(s[:min(len(s), 3000)], uint8(off))
		}
	}
	f.Add([]byte("java 1/2 1.0: 5 cycles:\n\t1 La/b;::c->Ld/e;::f (/tmp/perf-1.map)\n\t0 [unknown] ([unknown])\n\n"), uint8(7))
	f.Fuzz(func(t *testing.T, in []byte, flags uint8) {
		opts := PerfOptions{PID: flags&1 != 0, TID: flags&2 != 0, Kernel: flags&4 != 0, JIT: flags&8 != 0, Addrs: flags&16 != 0}
		want, p, st := perfFold(t, in, opts, perfscript.DefaultSizes.Chunk)
		for i, s := range p.Stacks {
			if s.Frames == "" || s.Count < 0 || math.IsNaN(s.Count) || math.IsInf(s.Count, 0) {
				t.Fatalf("bad stack %+v", s)
			}
			if i > 0 && p.Stacks[i-1].Frames >= s.Frames {
				t.Fatalf("stacks not sorted and distinct: %q, %q", p.Stacks[i-1].Frames, s.Frames)
			}
			if strings.ContainsAny(s.Frames, "\n") {
				t.Fatalf("stack with a newline: %q", s.Frames)
			}
		}
		if st.Samples < len(p.Stacks) || p.Skipped.Lines > bytes.Count(in, []byte("\n"))+1 {
			t.Fatalf("stats %+v, skipped %+v for %d stacks", st, p.Skipped, len(p.Stacks))
		}
		var out strings.Builder
		skipped, stats, err := PerfWriteFolded(&out, bytes.NewReader(in), opts)
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != want || skipped != p.Skipped || stats.Perf != st {
			t.Fatalf("PerfWriteFolded: got\n%s%+v %+v\nwant\n%s%+v %+v", out.String(), skipped, stats.Perf, want, p.Skipped, st)
		}
		chunk := 1 + int(flags)%61
		for _, c := range []struct{ threads, memo int }{{1, 0}, {1, 300}, {3, perfscript.DefaultSizes.Memo}} {
			o := opts
			o.Threads = c.threads
			// A small MaxChunk makes the parallel reader go on alone
			// after a stretch without blank lines.
			q, stats, err := perf(iotest.HalfReader(bytes.NewReader(in)), o, perfscript.Sizes{Chunk: chunk, MaxChunk: 4 * chunk, Memo: c.memo})
			if err != nil {
				t.Fatal(err)
			}
			st2 := stats.Perf
			if got := foldedText(t, q); got != want || q.Skipped != p.Skipped || st2 != st {
				t.Fatalf("Threads=%d chunk %d memo %d: got\n%s%+v %+v\nwant\n%s%+v %+v", c.threads, chunk, c.memo, got, q.Skipped, st2, want, p.Skipped, st)
			}
		}
	})
}
