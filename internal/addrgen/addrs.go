package addrgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// Options says how many addresses of each kind to make, and from which seed.
type Options struct {
	// Syms is the number of addresses inside functions: a function symbol
	// drawn uniformly (a function with aliases is drawn once per name),
	// plus an offset drawn uniformly below its size.
	Syms int
	// Random is the number of addresses drawn uniformly in .text.
	Random int
	// StartFrac is the share of Syms placed exactly at a function's start.
	StartFrac float64
	// Seed makes the list: the same seed, file and options give the same
	// addresses in the same order.
	Seed uint64
}

// Addr is one address made by Addresses and the function it is in (nil for
// a random address in .text).
type Addr struct {
	Addr uint64
	Func *Func
}

// Addresses makes o.Syms addresses inside t's functions and o.Random
// anywhere in .text, shuffled. It fails with ErrNoFunctions when addresses
// inside functions are asked for and t has none.
func (t *Table) Addresses(o Options) ([]Addr, error) {
	if o.Syms > 0 && len(t.Funcs) == 0 {
		return nil, ErrNoFunctions
	}
	if o.Syms < 0 || o.Random < 0 {
		return nil, fmt.Errorf("addrgen: negative count (syms %d, random %d)", o.Syms, o.Random)
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x6164647267656e)) // "addrgen"
	addrs := make([]Addr, 0, o.Syms+o.Random)
	for range o.Syms {
		f := &t.Funcs[r.IntN(len(t.Funcs))]
		off := uint64(0)
		if r.Float64() >= o.StartFrac {
			off = r.Uint64N(f.Size)
		}
		addrs = append(addrs, Addr{Addr: f.Start + off, Func: f})
	}
	if o.Random > 0 && t.TextEnd > t.TextStart {
		for range o.Random {
			addrs = append(addrs, Addr{Addr: t.TextStart + r.Uint64N(t.TextEnd-t.TextStart)})
		}
	}
	r.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	return addrs, nil
}

// WriteAddrs writes one address a line, as "0x..." (the input of
// addr2line, llvm-symbolizer and flamekit symbolize).
func WriteAddrs(w io.Writer, addrs []Addr) error {
	bw := bufio.NewWriter(w)
	for _, a := range addrs {
		fmt.Fprintf(bw, "%#x\n", a.Addr)
	}
	return bw.Flush()
}

// WriteTruth writes one line an address, tab-separated: the address, the
// function's start (hex, no 0x), its size (decimal), its name and its
// aliases; a random address has "-" for start, size and name.
func WriteTruth(w io.Writer, addrs []Addr) error {
	bw := bufio.NewWriter(w)
	for _, a := range addrs {
		if a.Func == nil {
			fmt.Fprintf(bw, "%#x\t-\t-\t-\n", a.Addr)
			continue
		}
		fmt.Fprintf(bw, "%#x\t%x\t%d\t%s\n", a.Addr, a.Func.Start, a.Func.Size,
			strings.Join(append([]string{a.Func.Name}, a.Func.Aliases...), "\t"))
	}
	return bw.Flush()
}
