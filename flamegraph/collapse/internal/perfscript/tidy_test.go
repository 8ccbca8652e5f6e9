package perfscript

import (
	"bytes"
	"testing"
)

// tidyCases are symbols of real captures and the names the perl's tidying
// makes of them.
var tidyCases = []struct{ in, want string }{
	{"native_safe_halt", "native_safe_halt"},
	{"thread_native_entry(Thread*)", "thread_native_entry"},
	{"net/http.(*Client).Do", "net/http.(*Client).Do"},
	{"ns::(anonymous namespace)::helper(int) const", "ns::(anonymous namespace)::helper"},
	{"std::vector<int>::push_back(int const&)", "std::vector<int>::push_back"},
	{"a;b;c", "a:b:c"},
	{`RegExp:[&<>"']`, "RegExp:[&<>]"},
	{"Lorg/mozilla/javascript/ContextFactory;.call(Lorg/mozilla/javascript/ContextAction;)Ljava/lang/Object;", "Lorg/mozilla/javascript/ContextFactory:.call"},
}

// TestTidy checks the perl's tidying rules, and that the fast path
// (simpleName) agrees with them wherever it answers.
func TestTidy(t *testing.T) {
	for _, tt := range tidyCases {
		if got := string(tidy([]byte(tt.in))); got != tt.want {
			t.Errorf("tidy(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got, ok := simpleName([]byte(tt.in)); ok && string(got) != tt.want {
			t.Errorf("simpleName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Inline chains always take the slow path, which splits them.
	if _, ok := simpleName([]byte("Ljava/io/PrintStream;::print->Ljava/io/Writer;::write")); ok {
		t.Error("simpleName accepted an inline chain")
	}
}

// FuzzTidy checks that the fast path of tidying, which scans eight bytes
// at a time, never disagrees with tidy, never accepts an inline chain and
// never leaves an empty name (parser.frame calls it on non-empty symbols).
func FuzzTidy(f *testing.F) {
	for _, tt := range tidyCases {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte("outer->inner(int)"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		want := tidy(bytes.Clone(in))
		got, ok := simpleName(in)
		if !ok {
			return
		}
		if !bytes.Equal(got, want) || len(got) == 0 {
			t.Fatalf("simpleName(%q) = %q, tidy gives %q", in, got, want)
		}
		if bytes.Contains(in, []byte("->")) {
			t.Fatalf("simpleName(%q) accepted an inline chain", in)
		}
	})
}
