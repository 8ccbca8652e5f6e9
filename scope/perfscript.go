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
	kt := newKeyTable()
	b := newBuilder()
	pass := &perfPass{kt: kt, raw: opts.Addrs}
	if err := readPerf(br, pass, b.addChunk); err != nil {
		return nil, err
	}
	if err := b.nameStacks(kt, opts); err != nil {
		return nil, err
	}
	return b.profile()
}

// nameStacks sets the stacks of the profile to those of kt, named.
func (b *builder) nameStacks(kt *keyTable, opts PerfOptions) error {
	b.p.stacks = make([]Stack, len(kt.keys))
	for id, idle := range kt.idle {
		b.p.stacks[id].Idle = idle
	}
	return namePerf(kt.keys, b.p.stacks, opts)
}

// addChunk adds the samples of a chunk whose stacks were keyed.
func (b *builder) addChunk(c *perfChunk) {
	for i, t := range c.times {
		b.add(t, c.ids[i])
	}
}
