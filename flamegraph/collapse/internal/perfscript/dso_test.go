package perfscript

import "testing"

// TestDSOClasses classes the dsos of real captures and the forms beyond the
// perl's: versioned vmlinux files, modules, jitted ELF files.
func TestDSOClasses(t *testing.T) {
	for _, tt := range []struct {
		mod         string
		kernel, jit bool
	}{
		{"[kernel.kallsyms]", true, false},
		{"[nf_conntrack_ipv4]", true, false},
		{"/lib/modules/4.3.0-rc1-virtual/build/vmlinux", true, false},
		{"/usr/lib/debug/boot/vmlinux-6.1.0-18-amd64", true, false},
		{"/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko", true, false},
		{"/lib/modules/6.1.0/kernel/net/foo.ko.zst", true, false},
		{"[unknown]", false, false},
		{"/tmp/perf-15042.map", false, true},
		{"/tmp/perf-.map", false, false},
		{"/root/.debug/jit/java-jit-20240101/jitted-1234-17.so", false, true},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", false, false},
		{"inlined", false, false},
	} {
		if got := isKernelDSO([]byte(tt.mod)); got != tt.kernel {
			t.Errorf("isKernelDSO(%q) = %v, want %v", tt.mod, got, tt.kernel)
		}
		if got := isJITDSO([]byte(tt.mod)); got != tt.jit {
			t.Errorf("isJITDSO(%q) = %v, want %v", tt.mod, got, tt.jit)
		}
	}
}
