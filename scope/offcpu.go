package scope

import "time"

// Block is one time a thread was off CPU: blocked from End minus
// Duration until End, when it ran again.
type Block struct {
	// End is when the thread ran again, on the recording's clock
	// (perf's and flamekit's: CLOCK_MONOTONIC, time since boot).
	End time.Duration
	// Duration is how long the thread was off CPU.
	Duration time.Duration
	// Func is the index in Blocks.Funcs of the leaf-most user function
	// of the block's stack, or -1 when the stack has no user frame.
	Func int
}

// Blocks are the off-CPU blocks of a recording, in the order read.
type Blocks struct {
	Blocks []Block
	// Funcs names the functions Block.Func indexes.
	Funcs []string
	// Untimed counts the off-CPU samples that are not one block with its
	// time: those `perf record --off-cpu` writes at the end of a
	// recording, each the sum of a stack's blocks shorter than its
	// --off-cpu-thresh (all of them before perf 6.15), under a placeholder
	// time. UntimedTotal is their sum. They are in no histogram or map.
	Untimed      int
	UntimedTotal time.Duration
}

// funcTable interns function names for Blocks.Funcs.
type funcTable struct {
	ids   map[string]int
	names []string
}

// id returns name's index in names, adding it when new.
func (t *funcTable) id(name string) int {
	if id, ok := t.ids[name]; ok {
		return id
	}
	if t.ids == nil {
		t.ids = map[string]int{}
	}
	t.ids[name] = len(t.names)
	t.names = append(t.names, name)
	return len(t.names) - 1
}
