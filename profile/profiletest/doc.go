// Package profiletest profiles Go tests and benchmarks: [Start] records
// the test's process from the call until the test ends, and writes a
// flame graph and a pprof profile of it among the test's artifacts.
//
//	func TestServe(t *testing.T) {
//		profiletest.Start(t)
//		... // the code whose profile you want
//	}
//
// and, to keep the files,
//
//	mkdir -p out && go test -run TestServe -artifacts -outputdir out ./...
//
// writes TestServe.svg and TestServe.pb.gz in a directory under
// out/_artifacts: tb.ArtifactDir()'s ([testing.T.ArtifactDir]; Go 1.26.8
// names it out/_artifacts/RANDOM). Without -artifacts it is a temporary
// directory removed after the test. Start logs the files' paths, and go
// test -v prints the directory ("=== ARTIFACTS").
//
// It records through package profile's perf backend, which needs no
// privilege where kernel.perf_event_paranoid ≤ 2 (most distributions):
// the process's own threads, with kernel frames where
// kernel.perf_event_paranoid ≤ 1 or CAP_PERFMON allow them. When profiling
// is not permitted or not supported, Start logs why and the test runs
// without a profile: it never fails a test for that.
//
// The profile covers the whole test process: the tests running in
// parallel with this one too. In a benchmark, Start before the loop:
//
//	func BenchmarkParse(b *testing.B) {
//		profiletest.Start(b)
//		for b.Loop() {
//			parse(input)
//		}
//	}
//
// With b.Loop the function runs once; a benchmark written with b.N runs
// several times, and the files of its last (longest) run stay. Profiling
// costs some CPU time (at 999 Hz, the default, a few percent), which the
// benchmark's timings include.
package profiletest
