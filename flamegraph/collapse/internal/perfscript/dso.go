package perfscript

import (
	"bytes"

	"github.com/flamekit/flamekit/flamegraph"
)

// note is the annotation a frame gets from the class of its dso.
type note uint8

// The annotations of frames.
const (
	noteNone   note = iota
	noteKernel      // flamegraph.KernelSuffix
	noteJIT         // flamegraph.JITSuffix
)

// noteText is the suffix each note appends to a frame's name.
var noteText = [...]string{noteNone: "", noteKernel: flamegraph.KernelSuffix, noteJIT: flamegraph.JITSuffix}

// noteFor returns the annotation that the options give frames of the dso
// of the current line (modID).
func (p *parser) noteFor() note {
	if !p.kernel && !p.jit {
		return noteNone
	}
	if !p.noteOK {
		p.lastNote = noteNone
		mod := p.mods.text(p.modID)
		if p.kernel && isKernelDSO(mod) {
			p.lastNote = noteKernel
		} else if p.jit && isJITDSO(mod) {
			p.lastNote = noteJIT
		}
		p.noteOK = true
	}
	return p.lastNote
}

// isKernelDSO reports a kernel dso: "[kernel.kallsyms]" and other bracketed
// names ("[nf_conntrack]"), a path ending in "vmlinux", and, beyond the perl,
// versioned vmlinux files ("vmlinux-6.1.0-18-amd64") and module files
// (".ko", also compressed). Names with "unknown" in them are not.
func isKernelDSO(mod []byte) bool {
	if len(mod) == 0 || bytes.Contains(mod, []byte("unknown")) {
		return false
	}
	if mod[0] == '[' || bytes.HasSuffix(mod, []byte("vmlinux")) {
		return true
	}
	name := base(mod)
	if bytes.HasPrefix(name, []byte("vmlinux-")) {
		return true
	}
	for _, ext := range []string{".ko", ".ko.xz", ".ko.gz", ".ko.zst"} {
		if bytes.HasSuffix(name, []byte(ext)) {
			return true
		}
	}
	return false
}

// isJITDSO reports a JIT dso: a perf map ("/tmp/perf-<pid>.map") and, beyond
// the perl, the ELF files that perf inject writes from a jitdump
// ("jitted-<pid>-<n>.so").
func isJITDSO(mod []byte) bool {
	const prefix = "/tmp/perf-"
	for s := mod; ; {
		i := bytes.Index(s, []byte(prefix))
		if i < 0 {
			break
		}
		s = s[i+len(prefix):]
		d := 0
		for d < len(s) && isDigit(s[d]) {
			d++
		}
		if d > 0 && bytes.HasPrefix(s[d:], []byte(".map")) {
			return true
		}
	}
	name := base(mod)
	return bytes.HasPrefix(name, []byte("jitted-")) && bytes.HasSuffix(name, []byte(".so"))
}

// base returns the file name of a dso path.
func base(b []byte) []byte {
	return b[bytes.LastIndexByte(b, '/')+1:]
}
