package scope

import "bytes"

// FlameScope's rule for idle samples (app/perf/regexp.py): the sample's
// text has "swapper" and, somewhere after it, the name of an idle
// function. For perf script the text is the header and the frame lines,
// each without its trailing white space, joined; for the other formats it
// is the folded stack (the process frame and the frames, root first).
var (
	idleProcess = []byte("swapper")
	idleWords   = [][]byte{
		[]byte("cpuidle"), []byte("cpu_idle"), []byte("cpu_bringup_and_idle"),
		[]byte("native_safe_halt"), []byte("xen_hypercall_sched_op"), []byte("xen_hypercall_vcpu_op"),
	}
)

// hasIdleWord reports whether b names an idle function.
func hasIdleWord(b []byte) bool {
	for _, w := range idleWords {
		if bytes.Contains(b, w) {
			return true
		}
	}
	return false
}

// isIdle reports whether the text b is an idle sample's.
func isIdle(b []byte) bool {
	i := bytes.Index(b, idleProcess)
	return i >= 0 && hasIdleWord(b[i+len(idleProcess):])
}

// headerIdle classifies a perf script header for the idle rule, so that a
// sample's class and body decide it: the header has no "swapper"
// (headerPlain), has one followed by an idle word (headerIdle), or has one
// without (headerSwapper: the body decides, by an idle word anywhere).
type headerClass byte

const (
	headerPlain headerClass = iota
	headerSwapper
	headerIdle
)

func classifyHeader(h []byte) headerClass {
	i := bytes.Index(h, idleProcess)
	switch {
	case i < 0:
		return headerPlain
	case hasIdleWord(h[i+len(idleProcess):]):
		return headerIdle
	}
	return headerSwapper
}

// bodyIdle reports whether a sample whose header has class c and whose
// frame lines, trimmed and joined, are text is idle.
func bodyIdle(c headerClass, text []byte) bool {
	switch c {
	case headerIdle:
		return true
	case headerSwapper:
		return hasIdleWord(text)
	}
	return isIdle(text)
}
