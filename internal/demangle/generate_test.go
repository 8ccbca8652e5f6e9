package demangle

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// generator writes random mangled names from a small grammar of the
// constructs AppendItanium handles, with small substitution and template
// parameter indices, so that constructs combine in ways real programs
// rarely show. Many of the names are malformed.
type generator struct {
	r     *rand.Rand
	b     strings.Builder
	depth int
}

func (g *generator) pick(choices ...string) { g.b.WriteString(choices[g.r.IntN(len(choices))]) }

func (g *generator) chance(n int) bool { return g.r.IntN(n) == 0 }

func (g *generator) number(max int) { g.b.WriteString(strconv.Itoa(g.r.IntN(max))) }

// index writes the index of a substitution or template parameter: _, 0_, 1_...
func (g *generator) index() {
	if !g.chance(3) {
		g.number(4)
	}
	g.b.WriteByte('_')
}

func (g *generator) identifier() {
	g.pick("1A", "1B", "2ab", "3foo", "12_GLOBAL__N_1", "4_Tp1")
}

func (g *generator) encoding() {
	if g.chance(10) {
		g.pick("Th8_", "Tv0_n24_", "GTt", "Tch8_h8_")
	}
	if g.chance(30) {
		g.pick("TV", "TI", "TS", "TT")
		g.typ()
		return
	}
	g.name()
	if g.chance(3) {
		g.typ() // a template's return type, or another parameter
	}
	for range 1 + g.r.IntN(3) {
		g.param()
	}
}

func (g *generator) name() {
	g.depth++
	defer func() { g.depth-- }()
	switch g.r.IntN(6) {
	case 0, 1:
		g.b.WriteByte('N')
		if g.chance(3) {
			g.pick("K", "R", "VK", "O")
		}
		g.pick("", "St", "S_", "T_", "S0_", "Ss", "Sa")
		for range 1 + g.r.IntN(3) {
			g.component()
			if g.chance(3) {
				g.args()
			}
		}
		if g.chance(4) {
			g.pick("C1", "C2", "D0", "D1")
		}
		g.b.WriteByte('E')
	case 2:
		if g.depth > 3 {
			g.identifier()
			return
		}
		g.b.WriteByte('Z')
		g.encoding()
		g.b.WriteByte('E')
		g.name()
		if g.chance(4) {
			g.pick("_0", "__12_")
		}
	default:
		if g.chance(4) {
			g.pick("St", "L")
		}
		g.component()
		if g.chance(2) {
			g.args()
		}
	}
}

func (g *generator) component() {
	switch g.r.IntN(8) {
	case 0:
		g.pick("pl", "lt", "ls", "cl", "ix", "nw", "cvi", "aS", "eq")
	case 1:
		g.b.WriteString("Ul")
		g.param()
		g.b.WriteByte('E')
		g.pick("_", "0_", "12_")
	case 2:
		g.pick("Ut_", "Ut3_")
	default:
		g.identifier()
	}
	if g.chance(8) {
		g.b.WriteString("B5cxx11")
	}
}

func (g *generator) args() {
	g.b.WriteByte('I')
	for range 1 + g.r.IntN(3) {
		g.arg()
	}
	g.b.WriteByte('E')
}

func (g *generator) arg() {
	switch g.r.IntN(10) {
	case 0:
		g.pick("Li5E", "Lin3E", "Lb0E", "Lb1E", "Lm32E", "Lc97E", "LN1AE2E", "LS_1E")
	case 1:
		g.b.WriteByte('J')
		for range g.r.IntN(3) {
			g.arg()
		}
		g.b.WriteByte('E')
	case 2:
		g.b.WriteString("XadL_Z")
		g.name()
		g.pick("E", "vE")
		g.b.WriteByte('E')
	case 3:
		g.pick("DpT_", "DpRKT_", "DpT0_", "L_Z1fvE", "LZ1fIiEvT_E")
	default:
		g.typ()
	}
}

func (g *generator) param() {
	if g.chance(8) {
		g.b.WriteString("Dp")
		g.pick("", "O", "RK", "P")
		g.b.WriteByte('T')
		g.index()
		return
	}
	g.typ()
}

func (g *generator) typ() {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > 6 {
		g.pick("i", "v", "c")
		return
	}
	switch g.r.IntN(16) {
	case 0, 1:
		g.pick("v", "i", "c", "m", "b", "Dn", "Di", "z")
	case 2, 3:
		g.pick("P", "R", "O", "K", "VK", "r")
		g.typ()
	case 4:
		g.b.WriteByte('F')
		g.typ()
		for range 1 + g.r.IntN(2) {
			g.param()
		}
		g.pick("E", "E", "RE")
	case 5:
		g.pick("A10_", "A_", "A3_")
		g.typ()
	case 6:
		g.b.WriteByte('M')
		g.identifier()
		g.typ()
	case 7, 8:
		g.b.WriteByte('S')
		g.index()
		if g.chance(4) {
			g.args()
		}
	case 9, 10:
		g.b.WriteByte('T')
		g.index()
		if g.chance(6) {
			g.args()
		}
	case 11:
		g.pick("Sa", "Sb", "Ss", "Si", "So", "Sd")
		if g.chance(2) {
			g.args()
		}
	case 12:
		g.pick("DoF", "KF")
		g.typ()
		g.param()
		g.b.WriteByte('E')
	default:
		g.name()
	}
}

// TestGenerated checks AppendItanium against the library on random names.
func TestGenerated(t *testing.T) {
	n := 30000
	if testing.Short() {
		n = 3000
	}
	g := &generator{r: rand.New(rand.NewPCG(1, 2))}
	handled := 0
	for range n {
		g.b.Reset()
		g.b.WriteString("_Z")
		g.encoding()
		if g.chance(6) {
			g.pick(".cold", ".isra.0", ".constprop.0.isra.0", ".part.1.cold", ".lto_priv.0")
		}
		name := g.b.String()
		for _, st := range styles {
			if check(t, name, st) {
				handled++
			}
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("%d of %d handled", handled, 2*n)
}
