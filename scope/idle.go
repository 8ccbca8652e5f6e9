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
// frame lines (or their keys, appendFrameKey), each ending with a newline,
// are body is idle.
func bodyIdle(c headerClass, body []byte) bool {
	var s idleScan
	s.start(c)
	for len(body) > 0 && !s.idle {
		l := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			l, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		s.line(l)
	}
	return s.idle
}

// idleScan decides whether a perf script sample is idle as its lines are
// read. FlameScope searches a sample's lines joined, each without its
// trailing white space; but frame lines start with white space (their
// keys with frameKeyMark), which no word of the rule holds, so no word
// spans two lines and each line can be searched on its own.
type idleScan struct {
	swapper bool // "swapper" was seen, in the header or a line
	idle    bool
}

// start begins the scan of a sample whose header has class c.
func (s *idleScan) start(c headerClass) {
	*s = idleScan{swapper: c != headerPlain, idle: c == headerIdle}
}

// line scans frame lines of the sample: one, or several with their
// newlines, which no word of the rule holds either.
func (s *idleScan) line(l []byte) {
	if s.idle {
		return
	}
	if !s.swapper {
		i := indexSwapper(l)
		if i < 0 {
			return
		}
		s.swapper, l = true, l[i+len(idleProcess):]
	}
	s.idle = hasIdleWord(l)
}

// indexSwapper is bytes.Index(b, idleProcess), faster on perf script
// text: it looks for the word's 'w', twenty times rarer there than its
// 's' (which bytes.Index looks for first).
func indexSwapper(b []byte) int {
	const w = 1 // the index of 'w' in idleProcess
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], idleProcess[w])
		if i < 0 {
			return -1
		}
		at := off + i - w
		if at >= 0 && bytes.HasPrefix(b[at:], idleProcess) {
			return at
		}
		off += i + 1
	}
}
