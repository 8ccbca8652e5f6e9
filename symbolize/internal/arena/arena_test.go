package arena

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// TestStrings checks that names kept in an arena are copies, equal to
// what was kept, that short ones share blocks (a few allocations for many
// names) and long ones get their own, and that the arena counts its bytes.
func TestStrings(t *testing.T) {
	var a Strings
	src := []byte("_ZN4node4wasi4WASI7FdWriteERKN2v820FunctionCallbackInfoINS2_5ValueEEE")
	kept := a.Keep(unsafe.String(&src[0], len(src))) // a view, as of a mapped table
	copy(src, "XXXX")
	if !strings.HasPrefix(kept, "_ZN4") {
		t.Fatalf("kept %q changed with its source", kept)
	}
	// A name longer than the next block gets a block that holds it.
	mid := strings.Repeat("m", firstBlock+100)
	if n := testing.AllocsPerRun(1, func() { var b Strings; b.Keep(mid) }); n != 1 {
		t.Errorf("keeping a %d-byte name in a new arena took %.0f allocations; want one block", len(mid), n)
	}
	want := make([]string, 2000)
	for i := range want {
		want[i] = fmt.Sprint("function_", i)
	}
	names := make([]string, len(want))
	// Two runs (a warm-up, then the one counted) of 2000 names, ~26 KB
	// each, in blocks of at most 16 KiB.
	blocks := testing.AllocsPerRun(1, func() {
		for i := range want {
			names[i] = a.Keep(want[i])
		}
	})
	for i := range names {
		if names[i] != want[i] {
			t.Fatalf("name %d is %q; want %q", i, names[i], want[i])
		}
	}
	if blocks > 3 {
		t.Errorf("keeping 2000 names made %.0f allocations; want a few blocks", blocks)
	}
	long := strings.Repeat("x", maxBlock)
	before := a.bytes
	if got := a.Keep(long); got != long {
		t.Fatal("a long name came back changed")
	}
	if a.bytes-before != int64(len(long)) {
		t.Errorf("a long name added %d bytes; want its own %d", a.bytes-before, len(long))
	}
	if a.Keep("") != "" || cap(a.block) > maxBlock {
		t.Errorf("the block grew to %d bytes, past %d", cap(a.block), maxBlock)
	}
	if a.bytes < 52000 || a.bytes > 52000+2*maxBlock+int64(len(long)) {
		t.Errorf("the arena counts %d bytes", a.bytes)
	}
}
