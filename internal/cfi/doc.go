// Package cfi turns an x86-64 ELF file's call frame information into a
// compact table of unwind rules by address, so that a stack can be walked
// through code built without frame pointers: Debian's libc, libstdc++,
// python3, xz and most -O2 C and C++.
//
// # Where the rules come from
//
// Compilers describe, for every instruction, how to find the caller's
// frame: the Canonical Frame Address (CFA, the caller's rsp before its
// call), and where each saved register is, relative to it. The
// description is a program per function (an FDE, Frame Description Entry)
// sharing a prologue (a CIE, Common Information Entry), in .eh_frame (the
// LSB's format, always loaded, used by C++ exceptions) or .debug_frame
// (DWARF 5 §6.4, in debug information: Go binaries, separate debug files,
// code built with -fno-asynchronous-unwind-tables -g). Build reads both,
// preferring .eh_frame where they describe the same function, and reaches
// .eh_frame through the PT_GNU_EH_FRAME segment (the .eh_frame_hdr) when
// the section headers are stripped.
//
// The parser reads CIE versions 1, 3 and 4, the augmentations z, R, P, L
// and S (and skips unknown ones after z), the pointer encodings absolute,
// pcrel, textrel and datarel in every width, indirect included; and runs
// every DW_CFA instruction: advance_loc*, set_loc, def_cfa*, offset*,
// val_offset*, restore*, remember_state and restore_state, undefined,
// same_value, register, expression, val_expression, GNU_args_size and
// GNU_negative_offset_extended.
//
// # The rules
//
// A Rule keeps what an unwinder of x86-64 needs: the CFA as rsp or rbp
// plus an offset; where the return address is (at CFA-8 for every
// ordinary frame; undefined in the outermost, _start); where the caller's
// rbp was saved (CFA plus an offset, or unchanged). What the rules of the
// table cannot express is kept as its own kind rather than dropped: the
// PLT's expression, rsp+8 plus 8 once rip&15 has passed the entry's push,
// is CFAPLT; the signal trampoline's (glibc's __restore_rt), which loads
// the CFA from the signal context on the stack and finds the interrupted
// rip and rbp there too, is CFADerefRSP with SaveAtRSP; any other
// expression is CFAExpression, kept but not evaluated; a CFA in another
// register (stack realignment, as in glibc's start code) is
// CFAOtherRegister. Signal frames are flagged, since their return
// address must not be decremented before a lookup.
//
// # The table
//
// Rows of every FDE are merged, sorted by address, with gaps between FDEs
// marked by the rule of no rule, and adjacent equal rules merged. Distinct
// rules are few (a hundred to a few hundred per binary, against tens of
// thousands of rows), so a Table is three slices ready for BPF maps: the
// sorted start addresses, a parallel slice of 16-bit rule ids, and the
// rules. Lookup bisects the starts. Addresses are the file's own; a
// process's address minus its mapping's load bias is one.
//
// # Checked
//
// The rows agree with readelf --debug-dump=frames-interp for every FDE of
// libc, libstdc++, xz, programs the tests build (C without frame
// pointers, C++ with exceptions, a separate debug file with only
// .debug_frame) and a Go binary. Bad input is an error wrapping
// ErrMalformed, never a panic or a hang (FuzzParse).
//
// # Packed for BPF
//
// Pack and PackWords put a table in the form the eBPF unwinder loads into
// a BPF array: a header word, 16 bytes a rule, 8 bytes an entry (its
// address in the high 48 bits, its rule id in the low 16), so that a
// bisection compares words. Unpack reads it back.
//
// # Not evaluated
//
// Expressions other than the PLT's and the signal trampoline's are not
// evaluated (the unwinders walk such frames by their frame pointers): stack-realigning functions in node
// (CFA = *(rbp-40), *(rsp+N)+8) are the ones seen, 56 of node's 372,187
// entries; CFAOtherRegister (glibc's __longjmp and setcontext, whose CFA
// is in rdi or rdx, 4 entries in libc, 263 in node) can be unwound in the
// first frame only, where the register is known.
package cfi
