// Package gopclntab names the addresses of a Go binary from its pclntab,
// the table the Go runtime itself unwinds and prints stacks with: function
// names, files and lines, and the calls the compiler inlined. It reads the
// layouts of Go 1.16, 1.18 and 1.20 and later, also from binaries stripped of
// their symbol table or of their section headers.
//
// [Open] reads a binary's table into a [Table], mapping the section
// through the caller's [Sections] when it can; [Table.Lookup] appends the
// frames ([Frame]) at an address, innermost first, with a [Cache] the
// caller keeps between lookups (where the pc-value tables were left, and
// copies of the names when the table is mapped from its file).
//
// It is written by hand rather than with debug/gosym, which decodes every
// function's tables when it loads (tens of MiB for the Go compiler), gives
// no inlined calls, and trusts the text address it is given: since Go 1.26
// the header's text start is 0 and .text is off by 0x100 in cgo binaries, so
// every name would be wrong. A Table decodes one function when a lookup
// needs it, reads the inline trees (FUNCDATA_InlTree), and finds the text
// start from the runtime's module data, else the runtime.text symbol.
package gopclntab
