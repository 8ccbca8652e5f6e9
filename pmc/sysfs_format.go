package pmc

import (
	"fmt"
	"strconv"
	"strings"
)

// Format is one format field of a PMU (a file under its format/ directory):
// which perf_event_attr config word the field's value goes to and at which
// bits, lowest value bits first.
type Format struct {
	Field  string     // "config", "config1" or "config2"
	Ranges []BitRange // in the file's order; the value's low bits go to the first
}

// BitRange is an inclusive range of bits, Lo <= Hi < 64.
type BitRange struct{ Lo, Hi uint }

// ParseFormat parses a format file's content as the kernel writes it:
// "config:0-7", "config:0-7,32-35", "config1:0-63", "config:23".
func ParseFormat(s string) (Format, error) {
	f, err := parseFormat(s)
	if err != nil {
		return Format{}, fmt.Errorf("pmc: %w", err)
	}
	return f, nil
}

// parseFormat is ParseFormat without the package prefix on its errors.
func parseFormat(s string) (Format, error) {
	field, bits, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Format{}, fmt.Errorf("%w: format %q has no ':'", ErrSyntax, s)
	}
	switch field {
	case "config", "config1", "config2", "config3":
	default:
		return Format{}, fmt.Errorf("%w: format %q: unknown field %q", ErrSyntax, s, field)
	}
	f := Format{Field: field}
	for _, r := range strings.Split(bits, ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		l, err1 := strconv.ParseUint(lo, 10, 8)
		h, err2 := l, error(nil)
		if isRange {
			h, err2 = strconv.ParseUint(hi, 10, 8)
		}
		if err1 != nil || err2 != nil || l > h || h > 63 {
			return Format{}, fmt.Errorf("%w: format %q: bad bit range %q", ErrSyntax, s, r)
		}
		f.Ranges = append(f.Ranges, BitRange{uint(l), uint(h)})
	}
	return f, nil
}

// Width returns how many bits the field has.
func (f Format) Width() uint {
	var w uint
	for _, r := range f.Ranges {
		w += r.Hi - r.Lo + 1
	}
	return w
}

// Place returns v spread over the field's bits (its low bits in the first
// range), or an error wrapping ErrBadTerm when v needs more bits than the
// field has.
func (f Format) Place(v uint64) (uint64, error) {
	if w := f.Width(); w < 64 && v>>w != 0 {
		return 0, fmt.Errorf("pmc: %w: value %#x is wider than the field's %d bits", ErrBadTerm, v, w)
	}
	out, _ := f.place(v)
	return out, nil
}

// place spreads v over the field's bits; ok is false when v is too wide.
func (f Format) place(v uint64) (out uint64, ok bool) {
	if w := f.Width(); w < 64 && v>>w != 0 {
		return 0, false
	}
	for _, r := range f.Ranges {
		n := r.Hi - r.Lo + 1
		if n == 64 {
			return v, true
		}
		out |= (v & (1<<n - 1)) << r.Lo
		v >>= n
	}
	return out, true
}
