package perfscript

import (
	"strings"
	"testing"
)

// TestLineKey folds samples whose lines start with the same 32 bytes (the
// bytes the table of lines hashes) and differ after them (the first two
// also have the same length), and a short line (hashed whole), in a java
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
		"\t1 root (/x)\n"
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
	// The second sample of each java flag gets its six lines from the
	// table, the first none (the table keeps lines by java flag, as their
	// frames may differ); the memo serves none (it keeps lines a second
	// line was followed by twice, and then serves the third).
	if p.fromTable != 12 || p.recalled != 0 {
		t.Errorf("%d lines came from the table and %d samples from the memo, want 12 and 0", p.fromTable, p.recalled)
	}
	if _, small := fold(t, []byte(in.String()), Options{Kernel: true, JIT: true, Addrs: true}, 0); small != want {
		t.Errorf("with no room for tables: got\n%swant\n%s", small, want)
	}
}

// TestPredictedLines folds samples whose second line is the one that
// followed the first last time, or another of the same length and first
// bytes, or one that starts with it and goes on, read through buffers of
// many sizes (so that lines are cut at their ends): the table must take a
// predicted line only when the input holds all of it, and find the others.
func TestPredictedLines(t *testing.T) {
	const (
		a  = "\t    ffffffff81000010 do_syscall_64+0x10 (/x)\n"
		b  = "\t    ffffffff81000020 entry_SYSCALL_64+0x20 (/x)\n"
		c  = "\t    ffffffff81000020 entry_SYSCALL_6X+0x20 (/x)\n"
		b2 = "\t    ffffffff81000020 entry_SYSCALL_64+0x20 (/x) (/y)\n"
		r  = "\t    ffffffff81000030 main+0x30 (/bin/x)\n"
	)
	var in strings.Builder
	for _, second := range []string{b, b, c, b, b2} {
		in.WriteString("cmd 1 1.0: 1 cpu-clock:\n" + a + second + r + "\n")
	}
	want := "cmd;main;entry_SYSCALL_64+0x20 ;do_syscall_64 1\n" +
		"cmd;main;entry_SYSCALL_64;do_syscall_64 3\n" +
		"cmd;main;entry_SYSCALL_6X;do_syscall_64 1\n"
	p, got := fold(t, []byte(in.String()), Options{}, DefaultSizes.Memo)
	if got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	// Predicted: b and r in the second sample. Not b in the fourth (c
	// followed a last time), whose r comes from the memo, nor b2 in the
	// fifth (it starts with b, which followed a last time, and goes on).
	// The table serves a in the second to fifth samples, b in the second
	// and fourth, and r in the second, third and fifth.
	if p.predicted != 2 || p.fromTable != 9 || p.recalled != 1 {
		t.Errorf("%d lines were predicted, %d came from the table and %d samples from the memo, want 2, 9 and 1", p.predicted, p.fromTable, p.recalled)
	}
	if _, none := fold(t, []byte(in.String()), Options{}, 0); none != want {
		t.Errorf("with no room for tables: got\n%swant\n%s", none, want)
	}
	for size := 16; size <= 256; size += 8 {
		q := newParser(Options{}, DefaultSizes.Memo)
		if err := q.readAll(strings.NewReader(in.String()), make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		if _, err := merge([]*parser{q}).WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("through a buffer of %d bytes: got\n%swant\n%s", size, out.String(), want)
		}
	}
}
