package perfgen

import (
	"math"
	"math/rand/v2"
	"sort"
)

// rng is the random source of a generator, with the draws it makes and a
// cache of the cumulative Zipf weights of each pool size.
type rng struct {
	*rand.Rand
	zipf map[zipfKey][]float64
}

type zipfKey struct {
	n int
	s float64
}

func newRNG(seed uint64) *rng {
	return &rng{Rand: rand.New(rand.NewPCG(seed, 0x7065726667656e)), zipf: map[zipfKey][]float64{}} // "perfgen"
}

// between returns an int in [lo, hi], both included.
func (r *rng) between(lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.Float64() < p }

// gauss returns a normal deviate of mean mu and deviation sigma.
func (r *rng) gauss(mu, sigma float64) float64 { return mu + sigma*r.NormFloat64() }

// uniform returns a float64 in [lo, hi).
func (r *rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// weighted returns an index of weights, drawn in proportion to them.
func (r *rng) weighted(weights []float64) int {
	var total float64
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// zipfCum returns the cumulative weights 1/(i+1)^s of n ranks.
func (r *rng) zipfCum(n int, s float64) []float64 {
	k := zipfKey{n, s}
	cum, ok := r.zipf[k]
	if !ok {
		cum = cumulativeZipf(n, s)
		r.zipf[k] = cum
	}
	return cum
}

// cumulativeZipf returns the running sums of 1/(i+1)^s for i below n.
func cumulativeZipf(n int, s float64) []float64 {
	cum := make([]float64, n)
	t := 0.0
	for i := range cum {
		t += 1 / math.Pow(float64(i+1), s)
		cum[i] = t
	}
	return cum
}

// drawCum returns the index a uniform draw falls on in cumulative weights.
func (r *rng) drawCum(cum []float64) int {
	x := r.Float64() * cum[len(cum)-1]
	return min(len(cum)-1, sort.SearchFloat64s(cum, x))
}

// zipfPick draws from seq with rank weights 1/(i+1)^s: early items are hot.
func zipfPick[T any](r *rng, seq []T, s float64) T {
	return seq[r.drawCum(r.zipfCum(len(seq), s))]
}

// pick draws from seq uniformly.
func pick[T any](r *rng, seq []T) T { return seq[r.IntN(len(seq))] }

// sample returns k distinct items of seq in random order.
func sample[T any](r *rng, seq []T, k int) []T {
	idx := r.Perm(len(seq))[:k]
	out := make([]T, k)
	for i, j := range idx {
		out[i] = seq[j]
	}
	return out
}

// shuffle shuffles s in place.
func shuffle[T any](r *rng, s []T) {
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}
