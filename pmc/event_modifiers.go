package pmc

import "fmt"

// modifierLetters are the modifiers applyModifiers knows.
const modifierLetters = "ukhGHIpPSDeWb"

// applyModifiers applies perf's event modifiers (the letters after ':') to
// e, as perf does: the first of u, k, h excludes the other privilege levels
// and each one listed includes its own (so :uk counts user and kernel); G
// and H likewise for guest and host; each p raises the precision (at most
// three); P asks for the most precise level the PMU has; I excludes idle;
// S reads the group with each sample; D pins; e makes the event exclusive;
// W makes its group weak (opened as separate events when it cannot be
// opened whole); b, perf's BPF-aggregated counting, is taken and changes
// nothing: flamekit reads every counter from the kernel as it is.
func applyModifiers(e *Event, mods string) error {
	exclude := e.ExcludeUser || e.ExcludeKernel || e.ExcludeHV
	excludeGH := e.ExcludeGuest || e.ExcludeHost
	for _, c := range mods {
		switch c {
		case 'u', 'k', 'h':
			if !exclude {
				exclude = true
				e.ExcludeUser, e.ExcludeKernel, e.ExcludeHV = true, true, true
			}
			switch c {
			case 'u':
				e.ExcludeUser = false
			case 'k':
				e.ExcludeKernel = false
			default:
				e.ExcludeHV = false
			}
		case 'G', 'H':
			if !excludeGH {
				excludeGH = true
				e.ExcludeGuest, e.ExcludeHost = true, true
			}
			if c == 'G' {
				e.ExcludeGuest = false
			} else {
				e.ExcludeHost = false
			}
		case 'I':
			e.ExcludeIdle = true
		case 'p':
			if e.Precise == 3 {
				return fmt.Errorf("%w: modifiers %q of %q: at most three p (:ppp)", ErrSyntax, mods, e.Name)
			}
			e.Precise++
		case 'P':
			e.MaxPrecise = true
		case 'e':
			e.Exclusive = true
		case 'W':
			e.Weak = true
		case 'b':
		case 'S':
			e.sampleRead = true
		case 'D':
			e.Pinned = true
		default:
			return fmt.Errorf("%w: modifiers %q of %q: unknown modifier %q (known: %s)", ErrSyntax, mods, e.Name, c, modifierLetters)
		}
	}
	return nil
}
