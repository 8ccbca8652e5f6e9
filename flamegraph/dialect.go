package flamegraph

import "strings"

// The folded-stack dialect: a frame is a name between ';' separators, root
// first, and a name may end with an annotation saying what kind of frame it
// is. Renderers colour annotated frames by kind (the java, js and chain
// palettes do) and do not show the annotation. Readers (package collapse)
// and profilers (package profile) write these suffixes, and FrameName makes
// any name safe to be one frame.
const (
	// KernelSuffix marks a kernel frame.
	KernelSuffix = "_[k]"
	// JITSuffix marks a frame of code compiled at run time (a JVM's,
	// V8's, ...).
	JITSuffix = "_[j]"
	// InlinedSuffix marks a function the compiler inlined into its caller.
	InlinedSuffix = "_[i]"
	// WakerSuffix marks a frame of the thread that woke the one blocked
	// (off-wake stacks, after a WakerSeparator frame).
	WakerSuffix = "_[w]"
)

// annotationLen returns the length of the annotation name ends with
// (KernelSuffix, JITSuffix, InlinedSuffix or WakerSuffix), or 0.
func annotationLen(name string) int {
	n := len(name)
	if n >= 4 && name[n-4] == '_' && name[n-3] == '[' && name[n-1] == ']' && strings.IndexByte("kwij", name[n-2]) >= 0 {
		return 4
	}
	return 0
}

// Separator frames join the stacks of one folded line; renderers draw them
// grey, and the chain palette marks the frames after each WakerSeparator
// with WakerSuffix.
const (
	// StackSeparator separates two stacks of one sample, as bpftrace's
	// user and kernel stacks.
	StackSeparator = "-"
	// WakerSeparator separates a blocked thread's stack from the stack of
	// the thread that woke it (off-wake stacks).
	WakerSeparator = "--"
)

// UnknownFrame names a frame whose function is not known.
const UnknownFrame = "[unknown]"

var frameNameReplacer = strings.NewReplacer(";", ":", "\n", " ", "\r", " ")

// FrameName returns name as one frame of a folded line: a ';' (which would
// split the frame) becomes ':', line breaks become spaces, and an empty
// name is UnknownFrame.
func FrameName(name string) string {
	if name == "" {
		return UnknownFrame
	}
	return frameNameReplacer.Replace(name)
}
