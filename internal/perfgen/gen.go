package perfgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// Options shape the text Write makes.
type Options struct {
	// Samples is the number of samples to write.
	Samples int
	// Seed makes the profile: the same Options give the same text.
	Seed uint64
	// Stacks is the number of distinct stacks to aim for over all thread
	// roles (each role gets its share, at least 8). Zero means 4000.
	Stacks int
	// Zipf is the exponent of the rank weights samples are drawn from a
	// role's catalogue with. Zero means 1.1.
	Zipf float64
	// CPUs is the number of CPUs samples are spread over. Zero means 16.
	CPUs int
	// Freq is the sampling frequency in Hz, which sets the period and the
	// time between samples. Zero means 999.
	Freq int
	// Event is the event name in the headers. Empty means cpu-clock.
	Event string
	// PIDTID prints "comm PID/TID" headers (perf script -F
	// comm,pid,tid,...) instead of the default "comm TID".
	PIDTID bool
}

// ErrOptions reports options Write cannot use.
var ErrOptions = errors.New("perfgen: bad options")

func (o *Options) fill() error {
	if o.Stacks == 0 {
		o.Stacks = 4000
	}
	if o.Zipf == 0 {
		o.Zipf = 1.1
	}
	if o.CPUs == 0 {
		o.CPUs = 16
	}
	if o.Freq == 0 {
		o.Freq = 999
	}
	if o.Event == "" {
		o.Event = "cpu-clock"
	}
	if o.Samples < 0 || o.Stacks < 0 || o.CPUs < 0 || o.CPUs > 1000 || o.Freq < 0 || o.Zipf < 0 || math.IsNaN(o.Zipf) {
		return fmt.Errorf("%w: %+v", ErrOptions, *o)
	}
	return nil
}

// catalogue is a role's stacks, each ready to print but for its leaf: the
// leaf frame and the lines of the frames below it, whose return offsets
// are fixed; cum holds the cumulative Zipf weights of the stacks.
type catalogue struct {
	role   *role
	leaves []frame
	bodies [][]byte
	cum    []float64
}

// Write writes o.Samples samples of a synthetic system-wide profile as
// `perf script` prints it.
func Write(w io.Writer, o Options) error {
	if err := o.fill(); err != nil {
		return err
	}
	r := newRNG(o.Seed)
	roles := buildRoles(newRNG(o.Seed*7919 + 1))
	syms := newSymtab(newRNG(o.Seed*104729 + 3))
	var totalWeight float64
	for _, ro := range roles {
		totalWeight += ro.weight
	}
	cats := make([]catalogue, len(roles))
	roleCum := make([]float64, len(roles))
	var t float64
	for i, ro := range roles {
		target := max(8, int(math.Round(float64(o.Stacks)*ro.weight/totalWeight)))
		stacks := growCatalogue(ro, r, target)
		c := catalogue{role: ro, cum: cumulativeZipf(len(stacks), o.Zipf)}
		for _, st := range stacks {
			var body []byte
			for j := len(st) - 2; j >= 0; j-- {
				off := int64(-1)
				if st[j].sym != "" {
					off = 1 + r.Int64N(int64(syms.get(st[j]).size)-1)
				}
				body = syms.appendFrame(body, st[j], off, r)
			}
			c.leaves = append(c.leaves, st[len(st)-1])
			c.bodies = append(c.bodies, body)
		}
		cats[i] = c
		t += ro.weight
		roleCum[i] = t
	}

	period := int(math.Round(1e9 / float64(o.Freq)))
	ts := 4821 + r.Float64()*1000
	dt := 1 / float64(o.Freq) / float64(o.CPUs)
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	for range o.Samples {
		c := &cats[r.drawCum(roleCum)]
		k := r.drawCum(c.cum)
		tid := pick(r, c.role.tids)
		comm := threadComm(c.role, tid)
		cpu := r.IntN(o.CPUs)
		ts += dt * r.ExpFloat64()
		sec := int(ts)
		usec := int((ts - float64(sec)) * 1e6)
		if o.PIDTID {
			line = fmt.Appendf(line[:0], "%s %5d/%-5d [%03d] %5d.%06d: %10d %s: \n", comm, c.role.pid, tid, cpu, sec, usec, period, o.Event)
		} else {
			line = fmt.Appendf(line[:0], "%s %5d [%03d] %5d.%06d: %10d %s: \n", comm, tid, cpu, sec, usec, period, o.Event)
		}
		line = syms.appendFrame(line, c.leaves[k], -1, r)
		line = append(line, c.bodies[k]...)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// threadComm returns the comm of a thread of a role: kworkers are named
// per CPU and queue, thread pools per index (truncated to 15 bytes, as the
// kernel does).
func threadComm(ro *role, tid int) string {
	switch ro.comm {
	case kworkerComm:
		kind := "-events"
		if tid%2 == 1 {
			kind = "H-kblockd"
		}
		comm := fmt.Sprintf("kworker/%d:%d%s", tid%16, tid%3, kind)
		return comm[:min(15, len(comm))]
	case "io-worker-", "GC Thread#":
		return fmt.Sprintf("%s%d", ro.comm, slices.Index(ro.tids, tid))
	case "pool-1-thread-":
		return fmt.Sprintf("%s%d", ro.comm, slices.Index(ro.tids, tid)+1)
	}
	return ro.comm
}
