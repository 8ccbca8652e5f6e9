package symbolize

import (
	"strings"

	"github.com/ianlancetaylor/demangle"
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
	var out string
	var err error
	if mode == demangleShort {
		out, err = demangle.ToString(base, demangle.NoParams, demangle.NoTemplateParams, demangle.NoClones)
	} else {
		out, err = demangle.ToString(base)
	}
	if err != nil {
		return name
	}
	return out + suffix
}
