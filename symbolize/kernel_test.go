package symbolize

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

func TestKernelKallsymsEdgeCases(t *testing.T) {
	f, err := os.Open("testdata/kernel/kallsyms.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, err := ParseKallsyms(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr     uint64
		function string
		module   string
	}{
		{0xffffffff81000000, "srso_alias_untrain_ret", KernelPath},
		{0xffffffff81000050, "srso_alias_untrain_ret", KernelPath},
		{0xffffffff81000105, "__pfx_do_one", KernelPath},
		{0xffffffff81000110, "do_one", KernelPath},
		{0xffffffff810001ff, "do_one", KernelPath},
		{0xffffffff810002ff, "do_two", KernelPath},
		{0xffffffff81000300, "", ""}, // data
		{0xffffffff81000500, "_etext", KernelPath},
		{0xffffffff81200000, "", ""}, // beyond maxKernelSym
		{0xffffffffc0201004, "ftrace_trampoline", "[__builtin__ftrace]"},
		{0xffffffffc0400090, "xfs_read", "[xfs]"},
		{0xffffffffc0500010, "bpf_prog_6deef7357e7b4530_sd_fw_egress", "[bpf]"},
		{0xffffffffc0500110, "bpf_prog_1234567890abcdef_tp_sched", "[bpf]"},
		{0xffffffff80000000, "", ""},
	} {
		fr, ok := k.Lookup(c.addr)
		if fr.Function != c.function || fr.Module.Path != c.module || ok != (c.function != "") {
			t.Errorf("Lookup(%#x) = %+v, %v; want %s in %s", c.addr, fr, ok, c.function, c.module)
			continue
		}
		if ok && (fr.Kind != KindKernel || fr.Offset != c.addr) {
			t.Errorf("Lookup(%#x) = %+v: want kind kernel, offset = address", c.addr, fr)
		}
	}
}

func TestKernelAddressesHidden(t *testing.T) {
	hidden := "0000000000000000 T _text\n0000000000000000 t do_one\n0000000000000000 t xfs_init\t[xfs]\n"
	if _, err := ParseKallsyms(strings.NewReader(hidden)); !errors.Is(err, ErrKernelAddressesHidden) {
		t.Fatalf("err = %v, want ErrKernelAddressesHidden", err)
	}
	if !strings.Contains(ErrKernelAddressesHidden.Error(), "kptr_restrict=0") {
		t.Error("the error does not say what to do")
	}
	k, err := ParseKallsyms(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Lookup(0x1000); ok {
		t.Error("empty kallsyms named an address")
	}
}

// TestKernelRunning names do_syscall_64 of the running kernel.
func TestKernelRunning(t *testing.T) {
	k, err := LoadKernel()
	if errors.Is(err, ErrKernelAddressesHidden) {
		testenv.SkipOrFail(t, "%s", "root or kernel.kptr_restrict=0: "+err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	want := kallsymsAddress(t, "do_syscall_64")
	for _, off := range []uint64{0, 1, 0x20} {
		fr, ok := k.Lookup(want + off)
		if !ok || fr.Function != "do_syscall_64" || fr.Module.Path != KernelPath {
			t.Errorf("Lookup(do_syscall_64+%#x) = %+v, %v", off, fr, ok)
		}
	}
	if k.BuildID == "" {
		t.Error("no kernel build-id from /sys/kernel/notes")
	}
	if fr, _ := k.Lookup(want); fr.Module.BuildID != k.BuildID {
		t.Errorf("frame build-id %q, kernel's %q", fr.Module.BuildID, k.BuildID)
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
			addr, err := parseHex([]byte(fields[0]))
			if err != nil {
				t.Fatal(err)
			}
			return addr
		}
	}
	t.Fatalf("%s not in /proc/kallsyms", name)
	return 0
}

// TestKernelPfxNames checks that NAME, following __pfx_NAME, is stored as
// the end of that name, and that names that only look alike are not.
func TestKernelPfxNames(t *testing.T) {
	in := "ffffffff81000000 T __pfx_alpha\n" +
		"ffffffff81000010 T alpha\n" +
		"ffffffff81000100 t __pfx_beta\n" +
		"ffffffff81000110 t betamax\n" + // not beta
		"ffffffff81000200 T __pfx_gamma\tmod\n" + // a malformed module: skipped
		"ffffffff81000300 T gamma\n"
	k, err := ParseKallsyms(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[uint64]string{
		0xffffffff81000001: "__pfx_alpha", 0xffffffff81000011: "alpha",
		0xffffffff81000101: "__pfx_beta", 0xffffffff81000111: "betamax",
		0xffffffff81000301: "gamma",
	} {
		if fr, ok := k.Lookup(addr); !ok || fr.Function != want {
			t.Errorf("Lookup(%#x) = %q, %v; want %q", addr, fr.Function, ok, want)
		}
	}
	if want := len("__pfx_alpha__pfx_betabetamaxgamma"); len(k.names) != want {
		t.Errorf("names take %d bytes (%q); want %d", len(k.names), k.names, want)
	}
}

func FuzzKernelKallsyms(f *testing.F) {
	seed, err := os.ReadFile("testdata/kernel/kallsyms.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add("1 T a\n1 t b\t[m]\n0 T c\n")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKallsyms(strings.NewReader(s))
		if err != nil {
			return
		}
		for i, sym := range k.syms {
			if i > 0 && k.syms[i-1].addr >= sym.addr {
				t.Fatal("symbols not sorted and unique")
			}
			if fr, ok := k.Lookup(sym.addr); ok != (sym.rank() > 0) || (ok && fr.Function == "") {
				t.Fatalf("Lookup(%#x) = %+v, %v", sym.addr, fr, ok)
			}
		}
	})
}
