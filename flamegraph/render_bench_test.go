package flamegraph

import (
	"bytes"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var synthWords = []string{"Lorg/apache/catalina/core/StandardWrapperValve::invoke",
	"Ljava/util/concurrent/ThreadPoolExecutor::runWorker", "CompileBroker::invoke_compiler_on_method",
	"runtime.mallocgc", "runtime.gcBgMarkWorker", "github.com/acme/api/handlers.(*Server).ServeHTTP",
	"std::vector<int, std::allocator<int> >::push_back", "_PyEval_EvalFrameDefault",
	"v8::internal::Builtins::InterpreterEntryTrampoline", "do_syscall_64_[k]", "ext4_file_read_iter_[k]",
	"entry_SYSCALL_64_after_hwframe_[k]", "__libc_start_main", "[unknown]", "Interpreter_[j]",
	"page_fault_[k]", "memcpy_avx_unaligned_erms", "cc1::c_parser_declaration_or_fndef"}

// synthProfile makes a profile shaped like a perf capture of a busy
// machine: base paths 10 to 60 deep, each branching off an earlier one;
// stacks that cut a Zipf-chosen base path somewhere in its second half and
// add up to 23 frames of their own; perf-like periods as counts. The same
// arguments give the same profile.
func synthProfile(stacks, bases int, seed uint64) *Profile {
	r := rand.New(rand.NewPCG(seed, 42))
	name := func() string {
		return synthWords[r.IntN(len(synthWords))] + "_" + strconv.Itoa(r.IntN(1000))
	}
	paths := make([][]string, bases)
	for i := range paths {
		var path []string
		if i > 0 {
			parent := paths[r.IntN(i)]
			path = append(path, parent[:r.IntN(len(parent))]...)
		}
		for depth := 10 + r.IntN(51); len(path) < depth; {
			path = append(path, name())
		}
		paths[i] = path
	}
	zipf := rand.NewZipf(r, 1.1, 1, uint64(bases-1))
	p := &Profile{}
	for range stacks {
		base := paths[zipf.Uint64()]
		frames := slices.Clone(base[:len(base)/2+r.IntN(len(base)-len(base)/2+1)])
		for k := r.IntN(24); k > 0; k-- {
			frames = append(frames, name())
		}
		p.Add(strings.Join(frames, ";"), float64(1001001*(1+r.IntN(20))))
	}
	return p
}

// The shapes of bench/collapse-render's folded inputs (see
// BenchmarkParseRenderFiles): folded-10m (about 1,200 stacks, 16k merged
// frames) and folded-200m (about 5,000 stacks, 60k merged frames, 20k
// drawn).
func benchProfile10m() *Profile  { return synthProfile(1234, 200, 1) }
func benchProfile200m() *Profile { return synthProfile(4969, 800, 1) }

func benchmarkRender(b *testing.B, p *Profile, o Options) {
	var buf bytes.Buffer
	if err := Render(&buf, p, o); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := Render(io.Discard, p, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender10m(b *testing.B)  { benchmarkRender(b, benchProfile10m(), Options{}) }
func BenchmarkRender200m(b *testing.B) { benchmarkRender(b, benchProfile200m(), Options{}) }

// BenchmarkRenderAllFrames draws every frame of the 200m shape (minwidth 0).
func BenchmarkRenderAllFrames(b *testing.B) {
	benchmarkRender(b, benchProfile200m(), Options{MinWidth: "0"})
}
