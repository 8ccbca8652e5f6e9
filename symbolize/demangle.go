package symbolize

import (
	"strings"

	lib "github.com/ianlancetaylor/demangle"

	"github.com/flamekit/flamekit/internal/demangle"
)

// demangleMode says how much of a mangled name demangleName keeps.
type demangleMode uint8

const (
	demangleFull  demangleMode = iota // the whole demangled name: parameters, template arguments, clone suffixes
	demangleShort                     // no parameters, template arguments or clone suffixes: "ns::Class::method"
	demangleNone                      // the name as the symbol table has it
)

// maxMangledLen bounds the names demangleName tries: longer ones are kept as
// they are, so a hostile symbol table cannot make demangling slow.
const maxMangledLen = 1 << 14

// demangleName turns a C++ (Itanium) or Rust (legacy or v0) symbol name into
// source form according to mode. Names that are not mangled, or do not
// demangle, come back unchanged. A "@plt" suffix, as lookup gives PLT stubs,
// is kept after the demangled name.
func demangleName(name string, mode demangleMode) string {
	if mode == demangleNone || len(name) > maxMangledLen || !strings.HasPrefix(name, "_") {
		return name
	}
	base, suffix := name, ""
	if strings.HasSuffix(name, pltSuffix) {
		base, suffix = name[:len(name)-len(pltSuffix)], pltSuffix
	}
	if !strings.HasPrefix(base, "_Z") && !strings.HasPrefix(base, "_R") {
		return name
	}
	// The fast demangler writes what the library would, for the names it
	// knows (nearly all); the library takes the rest.
	style := demangle.Full
	if mode == demangleShort {
		style = demangle.Short
	}
	var buf [512]byte
	if !rustLegacy(base) {
		if out, ok := demangle.AppendItanium(buf[:0], base, style); ok {
			return string(append(out, suffix...))
		}
	}
	var out string
	var err error
	if mode == demangleShort {
		out, err = lib.ToString(base, lib.NoParams, lib.NoTemplateParams, lib.NoClones)
	} else {
		out, err = lib.ToString(base)
	}
	if err != nil {
		return name
	}
	return out + suffix
}

// rustLegacy reports whether name is a Rust symbol in the legacy scheme: an
// Itanium nested name whose last part is the hash "17h" and 16 hex digits
// (maybe followed by LLVM's ".llvm.N"), which the library recognizes and
// drops.
func rustLegacy(name string) bool {
	if n := len(name); n > 0 && '0' <= name[n-1] && name[n-1] <= '9' {
		if i := strings.LastIndex(name, ".llvm."); i >= 0 {
			name = name[:i]
		}
	}
	const tail = len("17h0123456789abcdefE")
	if len(name) < tail || name[len(name)-1] != 'E' || name[len(name)-tail:len(name)-tail+3] != "17h" {
		return false
	}
	for _, c := range name[len(name)-tail+3 : len(name)-1] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
