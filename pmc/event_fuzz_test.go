package pmc

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseEvents parses arbitrary event lists against the recorded Intel
// tree: never a panic; an error is one of the sentinels, prefixed once; a
// success has events, each with its name.
func FuzzParseEvents(f *testing.F) {
	for _, s := range []string{
		"cycles", "cycles:u,instructions:kpp", "{cycles,instructions}:u,page-faults",
		"L1-dcache-load-misses,LLC-loads,dTLB-load-misses,iTLB-load-misses,branch-load-misses",
		"cpu/event=0x3c,umask=0x0/", "cpu/mem-loads,ldlat=30/P", "msr/tsc/", "software/config=2/",
		"r003c:u", "{cpu/cpu-cycles/,power/energy-pkg/}", "cpu/event=0x100/", "{a,{b}}", "x/,/", "{}", ",",
	} {
		f.Add(s)
	}
	s := recorded("intel")
	f.Fuzz(func(t *testing.T, list string) {
		gs, err := s.ParseEvents(list)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrUnknownEvent) && !errors.Is(err, ErrUnknownPMU) && !errors.Is(err, ErrBadTerm) {
				t.Fatalf("ParseEvents(%q): %v is none of the sentinels", list, err)
			}
			if strings.Count(err.Error(), "pmc:") != 1 {
				t.Fatalf("ParseEvents(%q): %q: want the prefix once", list, err)
			}
			return
		}
		if len(gs) == 0 {
			t.Fatalf("ParseEvents(%q) gave no groups", list)
		}
		for _, g := range gs {
			for _, e := range g {
				if e.Name == "" || e.Precise > 3 {
					t.Fatalf("ParseEvents(%q) gave %+v", list, e)
				}
			}
		}
	})
}

// FuzzParseFormat parses arbitrary format files: never a panic; a parsed
// format places its widest value within its ranges' bits.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"config:0-7", "config:0-7,32-35", "config1:0-63", "config:23", "config2:0-7,59-60", "config:7-0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := ParseFormat(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseFormat(%q): %v is not ErrSyntax", s, err)
			}
			return
		}
		var mask uint64
		for _, r := range fm.Ranges {
			if r.Lo > r.Hi || r.Hi > 63 {
				t.Fatalf("ParseFormat(%q) gave range %+v", s, r)
			}
			for b := r.Lo; b <= r.Hi; b++ {
				mask |= 1 << b
			}
		}
		w := fm.Width()
		widest := ^uint64(0)
		if w < 64 {
			widest = 1<<w - 1
		}
		got, err := fm.Place(widest)
		if err != nil || got&^mask != 0 {
			t.Fatalf("ParseFormat(%q).Place(%#x) = %#x, %v: outside mask %#x", s, widest, got, err, mask)
		}
		if w < 64 {
			if _, err := fm.Place(widest + 1); err == nil {
				t.Fatalf("ParseFormat(%q).Place(%#x) accepted a value wider than %d bits", s, widest+1, w)
			}
		}
	})
}
