package perfscript

import "testing"

// TestSplitFrameLine splits real frame lines, and the odd ones perf prints
// for frames without a symbol, into address, symbol and dso.
func TestSplitFrameLine(t *testing.T) {
	for _, tt := range []struct {
		line, pc, sym, mod string
	}{
		{"\tffffffff82203877 _raw_spin_lock+0x17 ([kernel.kallsyms])", "ffffffff82203877", "_raw_spin_lock+0x17", "[kernel.kallsyms]"},
		{"\t            e2b5 _dl_relocate_object+0x695 (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)", "e2b5", "_dl_relocate_object+0x695", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
		{"\t    7fb01c93872f VM_Version stub+0x3af (/tmp/perf-15042.map)", "7fb01c93872f", "VM_Version stub+0x3af", "/tmp/perf-15042.map"},
		{"\t           20ca3 __mmap64+0x13 (inlined)", "20ca3", "__mmap64+0x13", "inlined"},
		{"\t        80000102 [unknown] ([unknown])", "80000102", "[unknown]", "[unknown]"},
		{"\t1 std::vector<int>::push_back(int const&) (/app)", "1", "std::vector<int>::push_back(int const&)", "/app"},
		{"\t7f1e2215d058  (/lib/x86_64-linux-gnu/libc-2.15.so)", "7f1e2215d058", " ", "/lib/x86_64-linux-gnu/libc-2.15.so"},
		{"\t7f1e2215d059 (java) ([unknown])", "7f1e2215d059", "(java)", "[unknown]"},
	} {
		for _, last := range []string{"", tt.mod} {
			pc, sym, mod, same, ok := splitFrameLine([]byte(tt.line), []byte(last))
			if !ok || string(pc) != tt.pc || string(sym) != tt.sym || string(mod) != tt.mod || same != (last != "") {
				t.Errorf("splitFrameLine(%q, %q) = %q, %q, %q, %v, %v; want %q, %q, %q", tt.line, last, pc, sym, mod, same, ok, tt.pc, tt.sym, tt.mod)
			}
		}
	}
	for _, line := range []string{"\t", "\tffff", "\tffff sym", "\tffff sym (dso", "this line is junk"} {
		if _, _, _, _, ok := splitFrameLine([]byte(line), nil); ok {
			t.Errorf("splitFrameLine(%q) accepted a line that is no frame", line)
		}
	}
	for in, want := range map[string]string{"iowrite16+0xc": "iowrite16", "f+0x1f+0x2": "f+0x1f", "f+0xAB": "f+0xAB", "+0x1": "", "f": "f"} {
		if got := string(trimOffset([]byte(in))); got != want {
			t.Errorf("trimOffset(%q) = %q, want %q", in, got, want)
		}
	}
}
