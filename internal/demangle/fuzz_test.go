package demangle

import "testing"

// FuzzItanium checks that AppendItanium never panics, and that whenever it
// handles a name its text is the library's.
func FuzzItanium(f *testing.F) {
	for _, name := range corpus(f) {
		f.Add(name)
	}
	for _, c := range constructs {
		f.Add(c.name)
	}
	for _, name := range fallbacks {
		f.Add(name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, st := range styles {
			check(t, name, st)
		}
	})
}
