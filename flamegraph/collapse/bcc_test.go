package collapse

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// bcc's profile and offcputime print folded stacks with -f, which
// flamegraph.Parse reads; Read detects them as FormatFolded. The files in
// testdata/bcc follow the format of bcc v0.26's tools/profile.py and
// tools/offcputime.py (Debian 12's bpfcc-tools): "comm;user frames;kernel
// frames count", root first, with "-" between the user and kernel stacks
// when -d is given and both exist, "_[k]" after kernel frames with -a,
// "[unknown]" for unresolved frames and "[Missed User Stack]" for stacks the
// kernel could not record. offcputime counts microseconds. (The tools could
// not be run on the test machine: bcc compiles its BPF programs against
// kernel headers, and the 6.18 kernel there has neither a headers package nor
// CONFIG_IKHEADERS.)
func TestBccFolded(t *testing.T) {
	tests := []struct {
		file   string
		stacks int
		total  float64
		has    []string // frames sequences some stack must contain
	}{{
		file: "testdata/bcc/profile-fda.folded", stacks: 9, total: 477,
		has: []string{
			"busyprog;__libc_start_call_main;main;do_syscalls;getppid;-;entry_SYSCALL_64_after_hwframe_[k];",
			"Web Content;[unknown];start_thread;js::RunScript(JSContext*, js::RunState&);js::Interpret(JSContext*, js::RunState&)",
			"swapper/0;-;secondary_startup_64_no_verify_[k];",
			"kworker/u4:2;[Missed User Stack];-;ret_from_fork_asm_[k]",
		},
	}, {
		file: "testdata/bcc/offcputime-fd.folded", stacks: 5, total: 2000184 + 381 + 1250 + 998001 + 500107,
		has: []string{
			"java;[unknown];[unknown];Interpreter;java.lang.Thread.sleep;JVM_Sleep;os::sleep(JavaThread*, long);__pthread_cond_timedwait;-;entry_SYSCALL_64_after_hwframe",
			"kworker/0:1;-;ret_from_fork_asm;",
		},
	}, {
		file: "testdata/bcc/profile-f.folded", stacks: 3, total: 62,
		has: []string{"python3;_start;", ";long_mul;k_mul"},
	}}
	for _, tt := range tests {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		p, st, err := Read(bytes.NewReader(data), Options{})
		if err != nil || st.Format != FormatFolded {
			t.Fatalf("%s: Read: %q, %v", tt.file, st.Format, err)
		}
		if p.Skipped.Lines != 0 || p.Differential {
			t.Errorf("%s: %s; differential %v", tt.file, p.Skipped, p.Differential)
		}
		if len(p.Stacks) != tt.stacks || p.Total() != tt.total {
			t.Errorf("%s: %d stacks, total %v; want %d, %v", tt.file, len(p.Stacks), p.Total(), tt.stacks, tt.total)
		}
		for _, want := range tt.has {
			found := false
			for _, s := range p.Stacks {
				found = found || strings.Contains(s.Frames, want)
			}
			if !found {
				t.Errorf("%s: no stack has %q", tt.file, want)
			}
		}
		// Frames come through whole: as many as the line has ';'-fields.
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			stack := line[:strings.LastIndexByte(line, ' ')]
			if p.Stacks[i].Frames != stack {
				t.Errorf("%s line %d: frames %q, want %q", tt.file, i+1, p.Stacks[i].Frames, stack)
			}
		}
	}
}
