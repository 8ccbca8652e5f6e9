package jit

import (
	"bytes"
	"os"
	"testing"
)

// edge.dump's records start at: 48 DEBUG_INFO of fn_a, 152 CODE_LOAD fn_a,
// 224 UNWINDING_INFO, 272 DEBUG_INFO of fn_b, 336 CODE_LOAD fn_b, 416
// CODE_MOVE of fn_b, 480 CODE_LOAD fn_c, 552 a record of unknown id 99,
// 584 CODE_CLOSE, 600 a CODE_LOAD cut short.

// tailOf parses edge.dump up to durable, then reads as its tail the file up
// to onDisk and the bytes up to unflushed as what the writer holds.
func tailOf(t *testing.T, durable, onDisk, unflushed int) *Jitdump {
	t.Helper()
	full, err := os.ReadFile("testdata/edge.dump")
	if err != nil {
		t.Fatal(err)
	}
	j, err := ParseJitdump(bytes.NewReader(full[:durable]))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.ReadTail(bytes.NewReader(full[:onDisk]), int64(onDisk), full[onDisk:unflushed]); err != nil {
		t.Fatal(err)
	}
	return j
}

func wantLookups(t *testing.T, j *Jitdump, want map[uint64]Symbol) {
	t.Helper()
	for addr, w := range want {
		got, ok := j.Lookup(addr)
		if got != w || ok != (w.Name != "") {
			t.Errorf("Lookup(%#x) = %+v, %v; want %+v", addr, got, ok, w)
		}
	}
}

var (
	fnA1 = Symbol{Name: "fn_a", Start: 0x1000, Size: 0x100, File: "/src/a2.js", Line: 11}
	fnB  = Symbol{Name: "fn_b with spaces", Start: 0x2000, Size: 0x80, File: "/src/b.js", Line: 7}
	fnB3 = Symbol{Name: "fn_b with spaces", Start: 0x3000, Size: 0x80, File: "/src/b.js", Line: 7}
	fnC  = Symbol{Name: "fn_c", Start: 0x1080, Size: 0x10}
)

// TestJitdumpTail reads records split between the file and the writer's
// buffer: a CODE_LOAD whose DEBUG_INFO the file has, a CODE_MOVE of code
// the tail loads.
func TestJitdumpTail(t *testing.T) {
	j := tailOf(t, 152, 200, 552)
	if j.Len() != 4 || len(j.codes) != 0 {
		t.Errorf("Len %d, own codes %d; want 4 in the tail, none read from the file", j.Len(), len(j.codes))
	}
	wantLookups(t, j, map[uint64]Symbol{0x1010: fnA1, 0x1080: fnC, 0x2010: fnB, 0x3010: fnB3, 0x3080: {}})
	if j.pending[0x1000] == nil {
		t.Error("the tail took the file's DEBUG_INFO for fn_a: the file's own CODE_LOAD would miss it")
	}
}

// TestJitdumpTailMovesFileCode moves, in the tail, code the file loaded.
func TestJitdumpTailMovesFileCode(t *testing.T) {
	j := tailOf(t, 416, 416, 552)
	wantLookups(t, j, map[uint64]Symbol{0x2010: fnB, 0x3010: fnB3, 0x1080: fnC})
}

// TestJitdumpTailRejected drops a tail with a record of an unknown id: its
// bytes may not start at a record.
func TestJitdumpTailRejected(t *testing.T) {
	j := tailOf(t, 480, 480, 584)
	if j.tail != nil {
		t.Fatal("kept a tail with an unknown record")
	}
	wantLookups(t, j, map[uint64]Symbol{0x1080: {Name: "fn_a", Start: 0x1000, Size: 0x100, File: "/src/a.js", Line: 12}})
	j = tailOf(t, 480, 500, 500) // the file alone, a record cut short
	if j.tail != nil {
		t.Fatal("kept a tail that names nothing")
	}
}

// TestJitdumpTailThenFile reads the tail's records from the file once the
// writer flushed them: they become the dump's own, and the tail goes.
func TestJitdumpTailThenFile(t *testing.T) {
	full, err := os.ReadFile("testdata/edge.dump")
	if err != nil {
		t.Fatal(err)
	}
	j := tailOf(t, 152, 152, 552)
	if err := j.Refresh(bytes.NewReader(full[:552])); err != nil {
		t.Fatal(err)
	}
	if err := j.ReadTail(bytes.NewReader(full[:552]), 552, nil); err != nil {
		t.Fatal(err)
	}
	if j.tail != nil || len(j.codes) != 4 {
		t.Errorf("tail %v, own codes %d; want no tail and 4", j.tail != nil, len(j.codes))
	}
	wantLookups(t, j, map[uint64]Symbol{0x1010: fnA1, 0x1080: fnC, 0x3010: fnB3})
}
