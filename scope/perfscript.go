package scope

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

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
	pr := perfReader{b: newBuilder(), raw: opts.Addrs}
	if err := pr.read(br); err != nil {
		return nil, err
	}
	if err := pr.name(opts); err != nil {
		return nil, err
	}
	return pr.b.profile()
}

// perfReader reads perf script samples into a builder.
type perfReader struct {
	b    *builder
	keys []string // each stack's key: header class, comm, '\n', frame lines (appendLine)
	raw  bool     // key frame lines whole (the Addrs option names frames by address)

	// The sample being read.
	in    bool
	t     float64
	class headerClass
	key   []byte
}

// read reads the samples of r.
func (pr *perfReader) read(r io.Reader) error {
	lr := lineReader{r: r}
	for {
		l, err := lr.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				pr.end()
				return nil
			}
			return fmt.Errorf("scope: perf script: %w", err)
		}
		if len(l) > 0 && (l[0] == '#' || l[0] == '\t') {
			if l[0] == '\t' && pr.in {
				pr.key = pr.appendLine(pr.key, l)
			}
			continue
		}
		line := bytes.TrimSuffix(l, []byte("\r\n"))
		line = bytes.TrimSuffix(line, []byte("\n"))
		ts, ok := perfTime(line)
		if !ok {
			if len(bytes.TrimSpace(line)) > 0 && !isFrameLine(line) {
				return fmt.Errorf("%w: line %d: %q", ErrNoTimestamp, lr.n, cut(line))
			}
			if pr.in {
				pr.key = pr.appendLine(pr.key, l)
			}
			continue
		}
		t, err := strconv.ParseFloat(string(ts), 64)
		if err != nil {
			return fmt.Errorf("%w: line %d: bad timestamp %q", ErrFormat, lr.n, ts)
		}
		pr.end()
		pr.in, pr.t, pr.class = true, t, classifyHeader(line)
		pr.key = append(append(append(pr.key[:0], byte(pr.class)), perfComm(line)...), '\n')
	}
}

// end adds the sample being read.
func (pr *perfReader) end() {
	if !pr.in {
		return
	}
	pr.in = false
	id, added := pr.b.stack(pr.key, false)
	if added {
		k := pr.b.p.stacks[id].Frames // the key, until name sets the frames
		pr.keys = append(pr.keys, k)
		pr.b.p.stacks[id].Idle = bodyIdle(pr.class, joinTrimmed([]byte(k[strings.IndexByte(k, '\n')+1:])))
	}
	pr.b.add(pr.t, id)
}

// appendLine appends a frame line of the sample being read to its key.
func (pr *perfReader) appendLine(key, l []byte) []byte {
	if pr.raw {
		return append(key, l...)
	}
	return appendFrameKey(key, l)
}

// isFrameLine reports whether a line that starts with a space is shaped
// like a frame line of older perf versions: spaces, a hexadecimal address
// and a space.
func isFrameLine(l []byte) bool {
	if len(l) == 0 || l[0] != ' ' {
		return false
	}
	l = bytes.TrimLeft(l, " ")
	n := 0
	for n < len(l) && isHex(l[n]) {
		n++
	}
	return n > 0 && n < len(l) && l[n] == ' '
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// joinTrimmed returns the lines of body without their trailing white
// space, joined, as FlameScope joins a sample's lines for its idle rule.
func joinTrimmed(body []byte) []byte {
	var out []byte
	for len(body) > 0 {
		l := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			l, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		out = append(out, bytes.TrimRight(l, " \t\r\v\f")...)
	}
	return out
}

// cut shortens a line for an error message.
func cut(l []byte) []byte {
	if len(l) > 120 {
		return l[:120]
	}
	return l
}
