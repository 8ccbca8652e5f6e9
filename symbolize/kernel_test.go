package symbolize

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/symbolize/internal/kallsyms"
)

// TestKernelFrames checks the frames of kallsyms' functions: the kernel
// image's and its modules' paths and build-ids, kind kernel, the address as
// the offset, and a KindUnknown frame in the kernel image for an address
// kallsyms does not name.
func TestKernelFrames(t *testing.T) {
	f, err := os.Open("internal/kallsyms/testdata/kallsyms.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := kallsyms.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	k := newKernel(syms, func(notes string) string { return "id of " + notes })
	for _, c := range []struct {
		addr     uint64
		function string
		module   string
		notes    string
	}{
		{0xffffffff81000110, "do_one", KernelPath, "/sys/kernel/notes"},
		{0xffffffff81000300, "", KernelPath, "/sys/kernel/notes"}, // data
		{0xffffffffc0201004, "ftrace_trampoline", "[__builtin__ftrace]", "/sys/module/__builtin__ftrace/notes/.note.gnu.build-id"},
		{0xffffffffc0400090, "xfs_read", "[xfs]", "/sys/module/xfs/notes/.note.gnu.build-id"},
		{0xffffffffc0500010, "bpf_prog_6deef7357e7b4530_sd_fw_egress", "[bpf]", "/sys/module/bpf/notes/.note.gnu.build-id"},
		{0xffffffff80000000, "", KernelPath, "/sys/kernel/notes"},
	} {
		want := Frame{Function: c.function, Module: Module{Path: c.module, BuildID: "id of " + c.notes}, Offset: c.addr, Kind: KindKernel}
		if c.function == "" {
			want.Kind = KindUnknown
		}
		if fr := k.lookup(c.addr); fr != want {
			t.Errorf("lookup(%#x) = %+v; want %+v", c.addr, fr, want)
		}
	}
}

// TestKernelRunning names do_syscall_64 of the running kernel.
func TestKernelRunning(t *testing.T) {
	k, err := loadKernel()
	if errors.Is(err, ErrKernelAddressesHidden) {
		testenv.SkipOrFail(t, "%s", "root or kernel.kptr_restrict=0: "+err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	want := kallsymsAddress(t, "do_syscall_64")
	for _, off := range []uint64{0, 1, 0x20} {
		fr := k.lookup(want + off)
		if fr.Function != "do_syscall_64" || fr.Module.Path != KernelPath || fr.Kind != KindKernel {
			t.Errorf("lookup(do_syscall_64+%#x) = %+v", off, fr)
		}
	}
	id := k.modules[0].BuildID
	if id == "" {
		t.Error("no kernel build-id from /sys/kernel/notes")
	}
	if fr := k.lookup(want); fr.Module.BuildID != id {
		t.Errorf("frame build-id %q, kernel's %q", fr.Module.BuildID, id)
	}
}

// kallsymsAddress finds a symbol's address in /proc/kallsyms the plain way.
func kallsymsAddress(t *testing.T, name string) uint64 {
	t.Helper()
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 3 && fields[2] == name {
			addr, err := strconv.ParseUint(fields[0], 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return addr
		}
	}
	t.Fatalf("%s not in /proc/kallsyms", name)
	return 0
}
