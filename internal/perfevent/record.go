package perfevent

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Record types ParseRecord decodes; others come back with only Type and
// Misc set.
const (
	RecordLost        = unix.PERF_RECORD_LOST
	RecordComm        = unix.PERF_RECORD_COMM
	RecordExit        = unix.PERF_RECORD_EXIT
	RecordThrottle    = unix.PERF_RECORD_THROTTLE
	RecordUnthrottle  = unix.PERF_RECORD_UNTHROTTLE
	RecordFork        = unix.PERF_RECORD_FORK
	RecordSample      = unix.PERF_RECORD_SAMPLE
	RecordLostSamples = unix.PERF_RECORD_LOST_SAMPLES
	// RecordSwitch is a context switch of the event's thread
	// (SampleOptions.SwitchRecords): out (Record.SwitchOut, with
	// Record.Preempt when the thread was still runnable) or in.
	RecordSwitch = unix.PERF_RECORD_SWITCH
)

// miscCommExec marks a COMM record written by exec.
const miscCommExec = 1 << 13

// maxCallchain bounds the call chain length ParseRecord accepts (the
// kernel's limit, kernel.perf_event_max_stack, is at most 65535 and
// context markers add a few).
const maxCallchain = 1 << 17

// Record is one decoded ring-buffer record. Which fields are set depends on
// Type.
type Record struct {
	Type uint32
	Misc uint16
	// PID and TID: SAMPLE, COMM, FORK, EXIT and SWITCH (for FORK and EXIT, of the
	// new or exiting task, whose parent is PPID and PTID).
	PID, TID   uint32
	PPID, PTID uint32
	// Time on the event's clock: SAMPLE, FORK, EXIT, THROTTLE,
	// UNTHROTTLE, SWITCH, and LOST and LOST_SAMPLES with sample_id_all
	// (when the loss was reported: after the records lost).
	Time uint64
	// ID is the id of the event that wrote a SAMPLE or SWITCH record
	// (its parent's for an inherited event), with
	// SampleOptions.Identifier.
	ID uint64
	// CPU: SAMPLE, and SWITCH with SampleOptions.SwitchRecords.
	CPU uint32
	// SwitchOut says a SWITCH record is the thread's leaving the CPU (else
	// its coming back), and Preempt that it left still runnable
	// (preempted, or yielding), not blocked.
	SwitchOut, Preempt bool
	// Sample fields.
	IP        uint64
	Period    uint64
	Callchain []uint64 // with context markers; see SplitCallchain
	Cgroup    uint64   // with SampleOptions.Cgroup
	// UserABI says whether the sample has user registers (ABI64, ABI32)
	// or not (ABINone: a kernel thread), with SampleOptions.UserRegs;
	// UserRegs holds those of UserRegsMask by index (RegIP, RegSP...).
	UserABI  uint64
	UserRegs [NumRegs]uint64
	// UserStack is the part of the user stack copy the kernel could read
	// (from the user stack pointer up), with SampleOptions.UserStack. It
	// shares the record's memory: valid as long as the bytes given to
	// ParseRecord are.
	UserStack []byte
	// Lost: how many records (LOST) or samples (LOST_SAMPLES) were dropped.
	Lost uint64
	// Comm is the command name of a COMM record; Exec that exec set it.
	Comm string
	Exec bool
}

// ParseRecord decodes rec, a whole record with its header, from the event
// opened with attribute a: its sample type gives the layout of samples
// (SampleType, possibly with periods, user registers (of UserRegsMask), a
// user stack copy, cgroup ids), and a sample without a period field, of an
// event sampled by period, has a's period. A short or inconsistent record
// yields an error wrapping ErrMalformed.
func ParseRecord(rec []byte, a *unix.PerfEventAttr) (Record, error) {
	d := decoder{b: rec}
	r := Record{Type: d.u32()}
	r.Misc = d.u16()
	if size := d.u16(); int(size) != len(rec) {
		return r, fmt.Errorf("%w: header size %d, record %d bytes", ErrMalformed, size, len(rec))
	}
	switch r.Type {
	case RecordSample:
		d.sample(&r, a.Sample_type)
		if a.Sample_type&unix.PERF_SAMPLE_PERIOD == 0 && a.Bits&unix.PerfBitFreq == 0 {
			r.Period = a.Sample
		}
	case RecordLost:
		d.u64() // id
		r.Lost = d.u64()
		if a.Bits&unix.PerfBitSampleIDAll != 0 {
			d.sampleID(&r, a.Sample_type)
		}
	case RecordLostSamples:
		r.Lost = d.u64()
		if a.Bits&unix.PerfBitSampleIDAll != 0 {
			d.sampleID(&r, a.Sample_type)
		}
	case RecordComm:
		r.PID, r.TID = d.u32(), d.u32()
		r.Comm = d.cstring()
		r.Exec = r.Misc&miscCommExec != 0
	case RecordFork, RecordExit:
		r.PID, r.PPID, r.TID, r.PTID = d.u32(), d.u32(), d.u32(), d.u32()
		r.Time = d.u64()
	case RecordThrottle, RecordUnthrottle:
		r.Time = d.u64()
	case RecordSwitch:
		r.SwitchOut = r.Misc&unix.PERF_RECORD_MISC_SWITCH_OUT != 0
		r.Preempt = r.Misc&unix.PERF_RECORD_MISC_SWITCH_OUT_PREEMPT != 0
		if a.Bits&unix.PerfBitSampleIDAll == 0 {
			d.fail("switch record without sample_id_all")
			break
		}
		d.sampleID(&r, a.Sample_type)
	}
	if d.err != nil {
		return r, fmt.Errorf("%w: type %d: %w", ErrMalformed, r.Type, d.err)
	}
	return r, nil
}

func (d *decoder) sample(r *Record, st uint64) {
	if st&unix.PERF_SAMPLE_IDENTIFIER != 0 {
		r.ID = d.u64()
	}
	if st&unix.PERF_SAMPLE_IP != 0 {
		r.IP = d.u64()
	}
	if st&unix.PERF_SAMPLE_TID != 0 {
		r.PID, r.TID = d.u32(), d.u32()
	}
	if st&unix.PERF_SAMPLE_TIME != 0 {
		r.Time = d.u64()
	}
	if st&(unix.PERF_SAMPLE_ADDR|unix.PERF_SAMPLE_ID|unix.PERF_SAMPLE_STREAM_ID|unix.PERF_SAMPLE_READ) != 0 {
		d.fail("sample type %#x: fields this parser does not decode", st)
		return
	}
	if st&unix.PERF_SAMPLE_CPU != 0 {
		r.CPU = d.u32()
		d.u32() // reserved
	}
	if st&unix.PERF_SAMPLE_PERIOD != 0 {
		r.Period = d.u64()
	}
	if st&unix.PERF_SAMPLE_CALLCHAIN != 0 {
		n := d.u64()
		if n > maxCallchain || n*8 > uint64(len(d.b)) {
			d.fail("call chain of %d entries in %d bytes", n, len(d.b))
			return
		}
		r.Callchain = make([]uint64, n)
		for i := range r.Callchain {
			r.Callchain[i] = d.u64()
		}
	}
	if st&(unix.PERF_SAMPLE_RAW|unix.PERF_SAMPLE_BRANCH_STACK) != 0 {
		d.fail("sample type %#x: fields this parser does not decode", st)
		return
	}
	if st&unix.PERF_SAMPLE_REGS_USER != 0 {
		d.userRegs(r)
	}
	if st&unix.PERF_SAMPLE_STACK_USER != 0 {
		d.userStack(r)
	}
	if st&(unix.PERF_SAMPLE_WEIGHT|unix.PERF_SAMPLE_DATA_SRC|unix.PERF_SAMPLE_TRANSACTION|
		unix.PERF_SAMPLE_REGS_INTR|unix.PERF_SAMPLE_PHYS_ADDR) != 0 {
		d.fail("sample type %#x: fields this parser does not decode", st)
		return
	}
	if st&sampleCgroup != 0 {
		r.Cgroup = d.u64()
	}
}

// sampleID reads the struct sample_id that sample_id_all appends to
// records other than samples: of SampleType's fields, the thread, time
// and CPU, and the identifier.
func (d *decoder) sampleID(r *Record, st uint64) {
	if st&unix.PERF_SAMPLE_TID != 0 {
		r.PID, r.TID = d.u32(), d.u32()
	}
	if st&unix.PERF_SAMPLE_TIME != 0 {
		r.Time = d.u64()
	}
	if st&(unix.PERF_SAMPLE_ID|unix.PERF_SAMPLE_STREAM_ID) != 0 {
		d.fail("sample type %#x: fields this parser does not decode", st)
		return
	}
	if st&unix.PERF_SAMPLE_CPU != 0 {
		r.CPU = d.u32()
		d.u32() // reserved
	}
	if st&unix.PERF_SAMPLE_IDENTIFIER != 0 {
		r.ID = d.u64()
	}
}

// userRegs reads the ABI and, unless it is ABINone, the registers of
// UserRegsMask in index order.
func (d *decoder) userRegs(r *Record) {
	r.UserABI = d.u64()
	if r.UserABI == ABINone {
		return
	}
	for i := range NumRegs {
		if UserRegsMask&(1<<i) != 0 {
			r.UserRegs[i] = d.u64()
		}
	}
}

// userStack reads the stack copy: its size, the bytes, and how many of
// them the kernel could read (absent when the size is 0).
func (d *decoder) userStack(r *Record) {
	size := d.u64()
	if size == 0 {
		return
	}
	if size%8 != 0 || size > uint64(len(d.b)) {
		d.fail("user stack of %d bytes in %d", size, len(d.b))
		return
	}
	data := d.take(int(size))
	dyn := d.u64()
	if dyn > size {
		d.fail("user stack of %d bytes with %d read", size, dyn)
		return
	}
	r.UserStack = data[:dyn:dyn]
}

// decoder reads little-endian fields, remembering the first shortfall.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
	d.b = nil
}

func (d *decoder) take(n int) []byte {
	if len(d.b) < n {
		d.fail("truncated")
		return make([]byte, n)
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) u16() uint16 { return binary.LittleEndian.Uint16(d.take(2)) }
func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.take(4)) }
func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.take(8)) }

// cstring reads a NUL-terminated string padded to 8 bytes.
func (d *decoder) cstring() string {
	i := bytes.IndexByte(d.b, 0)
	if i < 0 {
		d.fail("unterminated string")
		return ""
	}
	s := string(d.b[:i])
	d.b = d.b[min((i+8)&^7, len(d.b)):]
	return s
}
