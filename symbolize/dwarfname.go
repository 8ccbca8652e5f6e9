package symbolize

import "debug/dwarf"

// nameResolver names subprograms, following abstract_origin and
// specification references.
type nameResolver struct {
	d     *dwarf.Data
	r     *dwarf.Reader
	cache map[dwarf.Offset]string
}

// maxNameHops bounds the references followed to name one DIE.
const maxNameHops = 8

// name returns the linkage (mangled) name of a subprogram DIE, else its
// plain name, following abstract_origin and specification references for up
// to maxNameHops DIEs.
func (n *nameResolver) name(e *dwarf.Entry) string {
	if s := directName(e); s != "" {
		return s
	}
	first, ok := nameRef(e)
	if !ok {
		return ""
	}
	if s, ok := n.cache[first]; ok {
		return s
	}
	s, ref := "", first
	for hop := 0; hop < maxNameHops; hop++ {
		n.r.Seek(ref)
		next, err := n.r.Next()
		if err != nil || next == nil {
			break
		}
		if s = directName(next); s != "" {
			break
		}
		if ref, ok = nameRef(next); !ok {
			break
		}
	}
	n.cache[first] = s
	return s
}

// directName returns the DIE's own linkage name, else its name.
func directName(e *dwarf.Entry) string {
	for _, a := range []dwarf.Attr{dwarf.AttrLinkageName, attrMIPSLinkageName, dwarf.AttrName} {
		if s, ok := e.Val(a).(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// nameRef returns the DIE that names this one: its abstract origin, else its
// specification.
func nameRef(e *dwarf.Entry) (dwarf.Offset, bool) {
	if ref, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok {
		return ref, true
	}
	ref, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset)
	return ref, ok
}

// attrMIPSLinkageName is DW_AT_MIPS_linkage_name, which older GCCs write.
const attrMIPSLinkageName dwarf.Attr = 0x2007
