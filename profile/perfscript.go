package profile

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
)

// ErrNotTimed reports a profile with samples but no timed samples (it was
// recorded without Options.Timed, or the timed log lost them all): it has
// no times to write as perf script text.
var ErrNotTimed = errors.New("profile: no timed samples (record with Options.Timed)")

// WritePerfScript writes the timed samples ([Profile.Timed]) as `perf
// script` prints samples recorded with -g and shown with -F
// comm,pid,tid,cpu,time,period,event,ip,sym,dso, in time order: a header
//
//	hot  4242/4243  [001] 31389.437543:    1001001 cpu-clock:
//
// (comm, PID/TID, CPU, seconds on CLOCK_MONOTONIC with 6 decimals, period
// in the event's unit, event), then one line per address, leaf first,
// kernel then user: a tab, the address in hex right-aligned in 16 columns,
// the function and the module,
//
//	55d0c0de1135 hot (/tmp/hot)
//
// and a blank line. stackcollapse-perf.pl, FlameScope and package
// flamegraph/collapse read it as perf's. Kernel frames name their module
// "[kernel.kallsyms]" ("[xfs]" and the like for modules), JIT frames their
// perf map or jitdump, and an address nothing names is "[unknown]" in its
// module, or "[unknown] ([unknown])" outside any. Names keep their spaces;
// a line break in one becomes a space. Symbols have no "+0x" offset (as
// -F sym without symoff prints them). Functions inlined at an address
// (Options.Inlines) are one line, "outer->inner", as perf-map-agent writes
// them, which the readers fold as frames marked _[i]: collapsed, the text
// gives the stacks [Profile.Folded] gives (but for a frame nothing names
// in a module whose name is bracketed, which Folded names
// [kernel.kallsyms] and stackcollapse-perf.pl [[kernel.kallsyms]]). In a
// comm, what readers would misread is written as Folded writes its root
// frame: a space before a digit (taken for the PID), leading (a frame line)
// or trailing as '_', a ';' as ':', a line break as a space ("_" once
// folded); a leading '#' (a comment) as '_'.
//
// Blocked time (ModeOffCPU, and the blocked stacks of ModeWall) is written
// as `perf record --off-cpu` writes it: one sample per block, of event
// OffCPUScriptEvent ("offcpu-time"), its period the nanoseconds blocked,
// its time when the thread ran again; wall profiles' on-CPU samples keep
// their event (cpu-clock). Wakers are not in the text.
//
// A profile without samples writes nothing; one with samples but no timed
// samples is ErrNotTimed, and one whose timed sample names no sample is an
// error, both before anything is written. Timed samples the backends lost
// ([FailureTimedRingFull], [FailureTimedBacklogFull]) are not in the text.
func (p *Profile) WritePerfScript(w io.Writer) error {
	if len(p.Timed) == 0 {
		if len(p.Samples) > 0 {
			return ErrNotTimed
		}
		return nil
	}
	order := make([]int32, len(p.Timed))
	for i, t := range p.Timed {
		if t.Sample < 0 || t.Sample >= len(p.Samples) {
			return fmt.Errorf("profile: timed sample %d names sample %d of %d", i, t.Sample, len(p.Samples))
		}
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(p.Timed[a].Time, p.Timed[b].Time) })
	bw := bufio.NewWriterSize(w, 64<<10)
	event := p.Event.Name
	if p.mode() == ModeWall {
		event = p.Event.PMC.Name // the on-CPU samples'
	}
	sw := perfScriptWriter{event: perfScriptEvent(event), comms: map[string]string{}}
	for _, i := range order {
		t := p.Timed[i]
		sw.sample(p.StartMonotonic+t.Time, t, &p.Samples[t.Sample])
		if _, err := bw.Write(sw.buf); err != nil {
			return fmt.Errorf("profile: writing perf script: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("profile: writing perf script: %w", err)
	}
	return nil
}

// OffCPUScriptEvent is the event of blocked time in perf script text, as
// `perf record --off-cpu` names it.
const OffCPUScriptEvent = "offcpu-time"

// perfScriptWriter formats samples as perf script text into buf.
type perfScriptWriter struct {
	buf   []byte
	num   [24]byte // a number's digits
	event string
	comms map[string]string // comm → as the header writes it
}

// sample makes buf the text of timed sample t, taken at time at (on
// CLOCK_MONOTONIC), of the stack s. It prints what perf script's
// "%s %5d/%-5d [%03d] %5d.%06d: %10d %s: " does, then the frame lines.
func (w *perfScriptWriter) sample(at time.Duration, t TimedSample, s *Sample) {
	comm, ok := w.comms[s.Comm]
	if !ok {
		comm = perfScriptComm(s.Comm)
		w.comms[s.Comm] = comm
	}
	ns := uint64(max(at, 0))
	n := w.num[:0]
	b := append(append(w.buf[:0], comm...), ' ')
	b = appendPadded(b, strconv.AppendInt(n, int64(t.PID), 10), 5, ' ', false)
	b = append(b, '/')
	b = append(appendPadded(b, strconv.AppendInt(n, int64(t.TID), 10), 5, ' ', true), " ["...)
	b = append(appendPadded(b, strconv.AppendInt(n, int64(t.CPU), 10), 3, '0', false), "] "...)
	b = append(appendPadded(b, strconv.AppendUint(n, ns/1e9, 10), 5, ' ', false), '.')
	b = append(appendPadded(b, strconv.AppendUint(n, ns%1e9/1e3, 10), 6, '0', false), ": "...)
	b = append(appendPadded(b, strconv.AppendUint(n, t.Value, 10), 10, ' ', false), ' ')
	event := w.event
	if s.OffCPU {
		event = OffCPUScriptEvent
	}
	b = append(append(b, event...), ": \n"...)
	for _, stack := range [][]Location{s.Kernel, s.User} {
		for _, loc := range stack {
			b = append(b, '\t')
			b = append(appendPadded(b, strconv.AppendUint(n, loc.Address, 16), 16, ' ', false), ' ')
			b = appendPerfScriptFrame(b, loc)
		}
	}
	w.buf = append(b, '\n')
}

// appendPadded appends the digits of a number padded with pad to width: on
// the left, or on the right when left is set (printf's "-" flag). Zeros go
// after a minus sign.
func appendPadded(b, digits []byte, width int, pad byte, left bool) []byte {
	if left {
		b = append(b, digits...)
	}
	n := width - len(digits)
	if !left && pad == '0' && len(digits) > 0 && digits[0] == '-' {
		b, digits = append(b, '-'), digits[1:]
	}
	for range n {
		b = append(b, pad)
	}
	if !left {
		b = append(b, digits...)
	}
	return b
}

// appendPerfScriptFrame appends the rest of the line of an address after
// the address: its functions, outermost first and joined by "->" when
// some were inlined, and its module.
func appendPerfScriptFrame(b []byte, loc Location) []byte {
	module := ""
	for j := len(loc.Frames) - 1; j >= 0; j-- {
		f := loc.Frames[j]
		if j < len(loc.Frames)-1 {
			b = append(b, "->"...)
		} else {
			module = f.Module.Path
		}
		b = appendOneLine(b, cmp.Or(f.Function, flamegraph.UnknownFrame))
	}
	if len(loc.Frames) == 0 {
		b = append(b, flamegraph.UnknownFrame...)
	}
	b = append(b, " ("...)
	b = appendOneLine(b, cmp.Or(module, flamegraph.UnknownFrame))
	return append(b, ")\n"...)
}

// appendOneLine appends s with its line breaks made spaces.
func appendOneLine(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\r\n") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == '\r' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

// perfScriptComm is a comm as a header writes it: as Folded names its
// root frame (flamegraph.FrameName: no ';' or line break, "[unknown]" for
// none), with spaces kept, except those a reader would end the comm at: a
// leading or trailing one, and one before a digit (the digit would be read
// as the PID), which become '_', as Folded makes every space. A leading
// '#' (a comment line) becomes '_' too.
func perfScriptComm(comm string) string {
	b := []byte(flamegraph.FrameName(comm))
	for i, c := range b {
		space := c == ' ' || c == '\t' || c == '\v' || c == '\f'
		switch {
		case i == 0 && (space || c == '#'):
			b[i] = '_'
		case space && (i == len(b)-1 || b[i+1] >= '0' && b[i+1] <= '9'):
			b[i] = '_'
		}
	}
	return string(b)
}

// perfScriptEvent is an event name as a header writes it: one word.
func perfScriptEvent(name string) string {
	if name == "" {
		return "cpu-clock" // ParseEvent's default
	}
	return strings.Join(strings.Fields(name), "_")
}
