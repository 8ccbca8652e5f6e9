package scope

import "io"

// PerfOptions selects the frame annotations of perf script stacks, with
// the meanings of collapse.PerfOptions' fields of the same names.
type PerfOptions struct {
	Kernel bool // annotate kernel frames with flamegraph.KernelSuffix
	JIT    bool // annotate JIT frames with flamegraph.JITSuffix
	Addrs  bool // name [unknown] frames with their address
}

// ReadPerfScript reads the text `perf script` prints for samples recorded
// with call graphs (`perf record -g`), gzipped or not, with its time field
// (perf script's default). A sample is a header line and the lines up to
// the next header; a header is a line that starts with neither '#' nor a
// tab and has a timestamp where FlameScope looks for one (" 1234.567890: "
// followed by the event: "java 14375 [022] 28648.467079: cpu-clock:").
// Every sample counts, whatever its event, as in FlameScope.
//
// Stacks are named as collapse.Perf names them (see the package doc for how
// that differs from FlameScope's names). Any other line that is not blank,
// a comment or shaped like a frame line (a tab, or spaces, an address and
// a space), such as the header of a capture made without the time field,
// fails the read with an error wrapping ErrNoTimestamp that names the
// line.
func ReadPerfScript(r io.Reader, opts PerfOptions) (*Profile, error) {
	br, err := gunzipped(r)
	if err != nil {
		return nil, err
	}
	kt := &keyTable{ids: map[string]uint32{}}
	b := newBuilder()
	if err := readPerf(br, b, kt, opts.Addrs); err != nil {
		return nil, err
	}
	b.p.stacks = make([]Stack, len(kt.keys))
	for id, idle := range kt.idle {
		b.p.stacks[id].Idle = idle
	}
	if err := namePerf(kt.keys, b.p.stacks, opts); err != nil {
		return nil, err
	}
	return b.profile()
}
