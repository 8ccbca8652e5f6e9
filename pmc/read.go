package pmc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Read formats (perf_event_attr.read_format bits) the decoder knows.
const (
	FormatTotalTimeEnabled = 1 << 0 // PERF_FORMAT_TOTAL_TIME_ENABLED
	FormatTotalTimeRunning = 1 << 1 // PERF_FORMAT_TOTAL_TIME_RUNNING
	FormatID               = 1 << 2 // PERF_FORMAT_ID
	FormatGroup            = 1 << 3 // PERF_FORMAT_GROUP
	FormatLost             = 1 << 4 // PERF_FORMAT_LOST (Linux 6.0)

	formatKnown = FormatTotalTimeEnabled | FormatTotalTimeRunning | FormatID | FormatGroup | FormatLost
)

// ErrMalformedRead reports a read() of a counter whose bytes do not match
// the read format it was decoded with.
var ErrMalformedRead = errors.New("pmc: malformed counter read")

// RawValue is one counter's value in a read().
type RawValue struct {
	Value uint64
	ID    uint64 // with FormatID; else 0
	Lost  uint64 // with FormatLost; else 0
}

// RawRead is a decoded read() of a counter or a group: the times the
// group (or the counter) was enabled and actually running on a PMU, in
// nanoseconds (0 when the format does not ask for them), and the values,
// leader first.
type RawRead struct {
	Enabled, Running uint64
	Values           []RawValue
}

// DecodeRead decodes the bytes of a read() of a perf event opened with
// read_format format. A group read (FormatGroup) is
//
//	u64 nr; [u64 time_enabled]; [u64 time_running]; {u64 value; [u64 id]; [u64 lost]} × nr
//
// and a single counter's is
//
//	u64 value; [u64 time_enabled]; [u64 time_running]; [u64 id]; [u64 lost]
//
// in the machine's byte order (little-endian on x86-64). Bytes left over,
// too few bytes, or unknown format bits are errors wrapping
// ErrMalformedRead.
func DecodeRead(b []byte, format uint64) (RawRead, error) {
	if format&^formatKnown != 0 {
		return RawRead{}, fmt.Errorf("%w: unknown read_format bits %#x", ErrMalformedRead, format&^formatKnown)
	}
	d := decoder{b: b}
	var r RawRead
	times := func() {
		if format&FormatTotalTimeEnabled != 0 {
			r.Enabled = d.u64()
		}
		if format&FormatTotalTimeRunning != 0 {
			r.Running = d.u64()
		}
	}
	tail := func(v *RawValue) {
		if format&FormatID != 0 {
			v.ID = d.u64()
		}
		if format&FormatLost != 0 {
			v.Lost = d.u64()
		}
	}
	if format&FormatGroup == 0 {
		v := RawValue{Value: d.u64()}
		times()
		tail(&v)
		r.Values = []RawValue{v}
	} else {
		nr := d.u64()
		times()
		per := uint64(8)
		if format&FormatID != 0 {
			per += 8
		}
		if format&FormatLost != 0 {
			per += 8
		}
		if d.err != nil {
			return RawRead{}, d.err
		}
		if nr > uint64(len(d.b))/per {
			return RawRead{}, fmt.Errorf("%w: %d values announced, %d bytes left", ErrMalformedRead, nr, len(d.b))
		}
		r.Values = make([]RawValue, nr)
		for i := range r.Values {
			r.Values[i].Value = d.u64()
			tail(&r.Values[i])
		}
	}
	if d.err != nil {
		return RawRead{}, d.err
	}
	if len(d.b) != 0 {
		return RawRead{}, fmt.Errorf("%w: %d bytes left over", ErrMalformedRead, len(d.b))
	}
	if r.Running > r.Enabled && format&FormatTotalTimeEnabled != 0 && format&FormatTotalTimeRunning != 0 {
		return RawRead{}, fmt.Errorf("%w: running %d ns longer than enabled %d ns", ErrMalformedRead, r.Running, r.Enabled)
	}
	return r, nil
}

// decoder reads little-endian u64s, remembering the first shortfall.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		if d.err == nil {
			d.err = fmt.Errorf("%w: truncated (%d bytes where 8 were due)", ErrMalformedRead, len(d.b))
		}
		d.b = nil
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}
