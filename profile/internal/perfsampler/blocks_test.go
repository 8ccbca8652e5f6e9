package perfsampler

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// Records of the block tracker's tests: a context-switch sample (event
// id 1) of thread tid at time ts, a switch out (preempted or not), a switch
// in, a thread created (FORK), a thread ended (EXIT), a loss.
func csSample(tid uint32, ts uint64) perfevent.Record {
	return perfevent.Record{Type: perfevent.RecordSample, PID: 1, TID: tid, Time: ts, ID: 1, Callchain: []uint64{uint64(tid)}}
}
func switchOut(tid uint32, ts uint64, preempt bool) perfevent.Record {
	return perfevent.Record{Type: perfevent.RecordSwitch, PID: 1, TID: tid, Time: ts, SwitchOut: true, Preempt: preempt}
}
func switchIn(tid uint32, ts uint64) perfevent.Record {
	return perfevent.Record{Type: perfevent.RecordSwitch, PID: 1, TID: tid, Time: ts}
}
func threadRecord(typ uint32, tid uint32, ts uint64) perfevent.Record {
	return perfevent.Record{Type: typ, PID: 1, TID: tid, Time: ts}
}

// block is a block the tracker made: the thread of its sample, and its
// bounds.
type block struct {
	tid      uint32
	from, to uint64
}

// track hands recs to a tracker in that order, processes those before
// until (all when 0), and returns the blocks made and the failures.
func track(off sampler.OffCPU, until uint64, recs ...perfevent.Record) ([]block, map[string]int) {
	b := newBlockTracker(&off)
	b.switchIDs[1] = true
	for i := range recs {
		b.queue(&recs[i])
	}
	var blocks []block
	fails := map[string]int{}
	end := func(stack *perfevent.Record, from, to uint64) {
		blocks = append(blocks, block{uint32(stack.Callchain[0]), from, to})
	}
	fail := func(cause string) { fails[cause]++ }
	if until == 0 {
		b.drainOpen(end, fail)
	} else {
		b.process(until, end, fail)
	}
	return blocks, fails
}

func TestBlockTracker(t *testing.T) {
	const ms = uint64(time.Millisecond)
	for _, tc := range []struct {
		name   string
		off    sampler.OffCPU
		until  uint64
		recs   []perfevent.Record
		blocks []block
		fails  map[string]int
	}{
		{name: "block", until: 100, recs: []perfevent.Record{csSample(7, 10), switchOut(7, 10, false), switchIn(7, 30)},
			blocks: []block{{7, 10, 30}}},
		{name: "preempted", until: 100, recs: []perfevent.Record{csSample(7, 10), switchOut(7, 10, true), switchIn(7, 30)}},
		// Read from two CPUs' rings: the switch in first.
		{name: "out of order", until: 100, recs: []perfevent.Record{switchIn(7, 30), csSample(7, 10), switchOut(7, 10, false)},
			blocks: []block{{7, 10, 30}}},
		{name: "before until", until: 25, recs: []perfevent.Record{csSample(7, 10), switchOut(7, 10, false), switchIn(7, 30)}},
		{name: "open at the end", recs: []perfevent.Record{csSample(7, 10), switchOut(7, 10, false)}},
		{name: "blocked before the start", until: 100, recs: []perfevent.Record{switchIn(7, 30)}},
		{name: "switch out lost", until: 100, recs: []perfevent.Record{switchIn(7, 10), switchIn(7, 30)},
			fails: map[string]int{sampler.FailureSwitchUnpaired: 1}},
		{name: "switch in lost", until: 100, recs: []perfevent.Record{csSample(7, 10), switchOut(7, 10, false),
			csSample(7, 40), switchOut(7, 40, false), switchIn(7, 50)},
			blocks: []block{{7, 40, 50}}, fails: map[string]int{sampler.FailureSwitchUnpaired: 1}},
		{name: "sample lost", until: 100, recs: []perfevent.Record{switchOut(7, 10, false), switchIn(7, 30)},
			fails: map[string]int{sampler.FailureSwitchNoStack: 1}},
		{name: "loss", until: 100, recs: []perfevent.Record{csSample(7, 10), switchOut(7, 10, false),
			threadRecord(perfevent.RecordLost, 0, 20), switchIn(7, 30), csSample(7, 40), switchOut(7, 40, false), switchIn(7, 50)},
			blocks: []block{{7, 40, 50}}, fails: map[string]int{sampler.FailureSwitchUnpaired: 1}},
		{name: "exit ends", until: 100, recs: []perfevent.Record{csSample(7, 10), switchOut(7, 10, false),
			threadRecord(perfevent.RecordExit, 7, 60)},
			blocks: []block{{7, 10, 60}}},
		// Thread 7 exits (its switch in lost), and a new thread 7 starts:
		// its first switch in ends nothing.
		{name: "tid reused", until: 100, recs: []perfevent.Record{csSample(7, 10), switchOut(7, 10, false),
			threadRecord(perfevent.RecordLost, 0, 15), threadRecord(perfevent.RecordExit, 7, 20),
			threadRecord(perfevent.RecordFork, 7, 30), switchIn(7, 40), csSample(7, 50), switchOut(7, 50, false), switchIn(7, 55)},
			blocks: []block{{7, 50, 55}}, fails: map[string]int{sampler.FailureSwitchUnpaired: 1}},
		{name: "fork forgets", until: 100, recs: []perfevent.Record{csSample(7, 10), switchOut(7, 10, false),
			threadRecord(perfevent.RecordFork, 7, 30), switchIn(7, 40)}},
		{name: "bounds", off: sampler.OffCPU{MinBlock: 2 * time.Millisecond, MaxBlock: 5 * time.Millisecond}, until: 100 * ms,
			recs: []perfevent.Record{
				csSample(7, 0), switchOut(7, 0, false), switchIn(7, 1*ms),
				csSample(7, 10*ms), switchOut(7, 10*ms, false), switchIn(7, 13*ms),
				csSample(7, 20*ms), switchOut(7, 20*ms, false), switchIn(7, 26*ms)},
			blocks: []block{{7, 10 * ms, 13 * ms}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocks, fails := track(tc.off, tc.until, tc.recs...)
			if tc.until == 0 { // drainOpen: the block ends now
				if len(blocks) != 1 || blocks[0].from != 10 || blocks[0].to < monotonicNow()-uint64(time.Second) {
					t.Fatalf("blocks %v: want the open one, ended now", blocks)
				}
				return
			}
			if tc.fails == nil {
				tc.fails = map[string]int{}
			}
			if !slices.Equal(blocks, tc.blocks) || !maps.Equal(fails, tc.fails) {
				t.Errorf("blocks %v, failures %v; want %v, %v", blocks, fails, tc.blocks, tc.fails)
			}
		})
	}
}
