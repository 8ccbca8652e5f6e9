package perfscript

import (
	"strings"
	"testing"
)

// TestLineKey folds samples whose lines start with the same 32 bytes (the
// bytes the table of lines hashes) and differ after them (the first two
// also have the same length), in a java
// process and in another, twice each: the table must serve the lines it
// has seen in samples of the same java flag, whole, and nothing else. The
// perl folds this input to the same stacks (stackcollapse-perf.pl --all
// --addrs).
func TestLineKey(t *testing.T) {
	body := "\t    ffffffff81000000 do_syscall_64_long_name+0x1f ([kernel.kallsyms])\n" +
		"\t    ffffffff81000000 do_syscall_64_long_name+0x1f (/lib/other-xyz.so)\n" +
		"\t    ffffffff81000000 do_syscall_64_long_name->inl+0x1f (/x)\n" +
		"\t    7f0000000001 Lcom/Foo;.bar_with_a_long_name+0x10 (/tmp/perf-1.map)\n" +
		"\t    7f0000000002 [unknown] ([unknown])\n" +
		"\t1 root (/x)\n" // too short to be kept
	var in strings.Builder
	for _, comm := range []string{"cmd", "cmd", "java", "java"} {
		in.WriteString(comm + " 1 1.0: 1 cpu-clock:\n" + body + "\n")
	}
	want := "cmd;root;[unknown <7f0000000002>];Lcom/Foo:.bar_with_a_long_name_[j];do_syscall_64_long_name;inl_[i];do_syscall_64_long_name;do_syscall_64_long_name_[k] 2\n" +
		"java;root;[unknown <7f0000000002>];com/Foo:.bar_with_a_long_name_[j];do_syscall_64_long_name;inl_[i];do_syscall_64_long_name;do_syscall_64_long_name_[k] 2\n"
	p, got := fold(t, []byte(in.String()), Options{Kernel: true, JIT: true, Addrs: true}, DefaultSizes.Memo)
	if got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	// The second cmd sample gets its five long lines from the table; the
	// first java sample none (its frames differ); the second java sample
	// its first two, and the rest from the memo, which kept them at the
	// first java sample.
	if p.fromTable != 7 || p.recalled != 1 {
		t.Errorf("%d lines came from the table and %d samples from the memo, want 7 and 1", p.fromTable, p.recalled)
	}
	if _, small := fold(t, []byte(in.String()), Options{Kernel: true, JIT: true, Addrs: true}, 0); small != want {
		t.Errorf("with no room for tables: got\n%swant\n%s", small, want)
	}
}
