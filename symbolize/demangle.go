package symbolize

import (
	"strings"

	lib "github.com/ianlancetaylor/demangle"

	"github.com/flamekit/flamekit/internal/demangle"
)

// demangleMode says how much of a mangled name demangleName keeps.
type demangleMode uint8

const (
	demangleFull  demangleMode = iota // the whole demangled name: parameters, template and generic arguments, clone suffixes
	demangleShort                     // no parameters, template or generic arguments or clone suffixes: "ns::Class::method"
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
	style := demangle.Full
	if mode == demangleShort {
		style = demangle.Short
	}
	var buf [512]byte
	// Rust names, legacy ("_ZN...17h<hash>E") and v0 ("_R..."), have their
	// own demangler; a v0 name it rejects stays as it is.
	if out, ok := demangle.AppendRust(buf[:0], base, style); ok {
		return string(append(out, suffix...))
	}
	if strings.HasPrefix(base, "_R") {
		return name
	}
	// The fast C++ demangler writes what the library would, for the names
	// it knows (nearly all); the library takes the rest.
	if out, ok := demangle.AppendItanium(buf[:0], base, style); ok {
		return string(append(out, suffix...))
	}
	var out string
	var err error
	if mode == demangleShort {
		out, err = lib.ToString(base, lib.NoParams, lib.NoTemplateParams, lib.NoClones, lib.NoRust)
	} else {
		out, err = lib.ToString(base, lib.NoRust)
	}
	if err != nil {
		return name
	}
	return out + suffix
}
