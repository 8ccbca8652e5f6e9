package scope

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/flamekit/flamekit/flamegraph"
)

// cpuProfile is the JSON of a V8 .cpuprofile.
type cpuProfile struct {
	Nodes []struct {
		ID        int `json:"id"`
		CallFrame struct {
			FunctionName string `json:"functionName"`
		} `json:"callFrame"`
		Children []int `json:"children"`
	} `json:"nodes"`
	StartTime  *float64  `json:"startTime"`
	EndTime    *float64  `json:"endTime"`
	Samples    []int     `json:"samples"`
	TimeDeltas []float64 `json:"timeDeltas"`
}

// V8's names for the nodes of samples that ran no function, and for
// functions without one: "(idle)" is
// the idle of the package doc; "(program)" and "(garbage collector)" are
// kept, as frames of their own.
const (
	v8Idle      = "(idle)"
	v8Anonymous = "(anonymous)"
)

// ReadCPUProfile reads a V8 CPU profile, gzipped or not: the .cpuprofile
// JSON that `node --cpu-prof` and Chrome DevTools save, with nodes (a call
// tree), samples (the node of each sample) and timeDeltas (the
// microseconds from the previous sample, the first from startTime). A
// sample's time is startTime plus the deltas up to its own, as FlameScope
// counts it for its heat map; the heat map starts at startTime and ends at
// endTime.
//
// A stack is the functions from the root node's child to the sample's node
// (anonymous functions "(anonymous)"); samples of the "(idle)" node are
// idle. A sample without a time delta fails with an error wrapping
// ErrNoTimestamp that names it. Chrome's trace-event files (a JSON array
// of events with ProfileChunk entries) are not read.
func ReadCPUProfile(r io.Reader) (*Profile, error) {
	br, err := gunzipped(r)
	if err != nil {
		return nil, err
	}
	var cp cpuProfile
	if err := json.NewDecoder(br).Decode(&cp); err != nil {
		return nil, fmt.Errorf("%w: .cpuprofile: %w", ErrFormat, err)
	}
	if cp.StartTime == nil || len(cp.Nodes) == 0 {
		return nil, fmt.Errorf("%w: .cpuprofile without nodes or startTime", ErrFormat)
	}
	if len(cp.TimeDeltas) < len(cp.Samples) {
		return nil, fmt.Errorf("%w: .cpuprofile sample %d has no time delta", ErrNoTimestamp, len(cp.TimeDeltas))
	}
	stacks, idle, err := cp.stacks()
	if err != nil {
		return nil, err
	}
	b := newBuilder()
	now := *cp.StartTime
	for i, node := range cp.Samples {
		now += cp.TimeDeltas[i]
		frames, ok := stacks[node]
		if !ok {
			return nil, fmt.Errorf("%w: .cpuprofile sample %d is of node %d, which is not in nodes", ErrFormat, i, node)
		}
		id, added := b.stack([]byte(strconv.Itoa(node)), node == idle)
		if added {
			b.p.stacks[id].Frames = frames
		}
		b.add(now/1e6, id)
	}
	end := now
	if cp.EndTime != nil {
		end = *cp.EndTime
	}
	p, err := b.profile()
	if err != nil {
		return nil, err
	}
	p.start = math.Min(p.start, *cp.StartTime/1e6)
	p.end = math.Max(p.end, end/1e6)
	if p.end-math.Floor(p.start) > MaxSeconds {
		return nil, fmt.Errorf("%w: .cpuprofile spans %v s, more than %d", ErrFormat, p.end-p.start, MaxSeconds)
	}
	return p, nil
}

// stacks returns the folded stack of every node, by id, and the id of the
// "(idle)" node (-1 when there is none).
func (cp *cpuProfile) stacks() (map[int]string, int, error) {
	parent := make(map[int]int, len(cp.Nodes))
	name := make(map[int]string, len(cp.Nodes))
	idle := -1
	for _, n := range cp.Nodes {
		if _, dup := name[n.ID]; dup {
			return nil, 0, fmt.Errorf("%w: .cpuprofile node %d twice", ErrFormat, n.ID)
		}
		fn := n.CallFrame.FunctionName
		if fn == v8Idle {
			idle = n.ID
		}
		if fn == "" {
			fn = v8Anonymous
		}
		name[n.ID] = flamegraph.FrameName(fn)
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	root := cp.Nodes[0].ID
	out := make(map[int]string, len(name))
	var path []string
	for id := range name {
		path = path[:0]
		for n := id; n != root; {
			if len(path) > len(name) {
				return nil, 0, fmt.Errorf("%w: .cpuprofile nodes form a cycle", ErrFormat)
			}
			path = append(path, name[n])
			p, ok := parent[n]
			if !ok {
				break // a node outside the tree: its stack starts at it
			}
			n = p
		}
		if len(path) == 0 { // samples of the root itself
			path = append(path, name[root])
		}
		var b strings.Builder
		for i := len(path) - 1; i >= 0; i-- {
			b.WriteString(path[i])
			if i > 0 {
				b.WriteByte(';')
			}
		}
		out[id] = b.String()
	}
	return out, idle, nil
}
