package perfscript

import "testing"

// TestSymbolKey folds the same symbols with other dsos, in java and other
// processes, and unknown symbols at other addresses: the table of symbols
// must tell apart all that changes the frames, and nothing else.
func TestSymbolKey(t *testing.T) {
	in := "java 1 1.0: 1 cpu-clock:\n" +
		"\t1 Lcom/A;.run+0x1 (/x)\n\t2 f+0x1 ([kernel.kallsyms])\n\t3 [unknown] (/x)\n\n" +
		"cmd 1 1.0: 1 cpu-clock:\n" +
		"\t4 Lcom/A;.run+0x2 (/x)\n\t5 f+0x2 (/lib/f.so)\n\t6 [unknown] (/x)\n\n" +
		"cmd 1 1.0: 1 cpu-clock:\n" +
		"\t7 Lcom/A;.run+0x3 (/x)\n\t8 f+0x3 ([kernel.kallsyms])\n\t9 [unknown] (/x)\n\n"
	want := "cmd;[x <6>];f;Lcom/A:.run 1\n" +
		"cmd;[x <9>];f_[k];Lcom/A:.run 1\n" +
		"java;[x <3>];f_[k];com/A:.run 1\n"
	p, got := fold(t, []byte(in), Options{Kernel: true, Addrs: true}, DefaultSizes.Memo)
	if got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	// Lcom/A;.run and f of the kernel, each in java and elsewhere, and f of
	// /lib/f.so; the unknown symbols are named where they are.
	if p.parsed != 5 {
		t.Errorf("made the frames of %d symbols, want 5", p.parsed)
	}
}
