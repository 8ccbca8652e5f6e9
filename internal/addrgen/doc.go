// Package addrgen makes repeatable lists of instruction addresses in an ELF
// file for symbolizer tests and benchmarks, with the truth of which function
// holds each: addresses inside real functions (start plus a random offset
// below the size, some exactly at the start) and uniformly random addresses
// in .text (which may fall in padding between functions).
//
// Functions are the symbols `nm --defined-only` types t, T or W (code,
// global code, weak non-object) with a size, inside .text, read from .symtab
// (or .dynsym, where nm -D prints a version as NAME@@VER, or NAME@VER when
// hidden). Symbols that start at the same address are aliases of each other
// (C1/C2 constructors, identical-code-folded templates, glibc's versioned
// names): any of them is a correct answer for an address in the function.
//
// Addresses are link-time virtual addresses, what `addr2line -e BIN` and
// `llvm-symbolizer --obj=BIN` expect; for a PIE or a shared library that is
// the module-relative address, not a runtime one. The same seed gives the
// same addresses.
package addrgen

import "errors"

// ErrNoText reports an ELF file without a .text section.
var ErrNoText = errors.New("addrgen: no .text section")

// ErrNoFunctions reports an ELF file without a sized function symbol in
// .text, in which no address inside a function can be made.
var ErrNoFunctions = errors.New("addrgen: no sized function symbols in .text")
