package kallsyms

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func parseFile(t testing.TB, name string) *Table {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestParseEdgeCases(t *testing.T) {
	tab := parseFile(t, "testdata/kallsyms.txt")
	for _, c := range []struct {
		addr     uint64
		function string
		module   string
	}{
		{0xffffffff81000000, "srso_alias_untrain_ret", ""},
		{0xffffffff81000050, "srso_alias_untrain_ret", ""},
		{0xffffffff81000105, "__pfx_do_one", ""},
		{0xffffffff81000110, "do_one", ""},
		{0xffffffff810001ff, "do_one", ""},
		{0xffffffff810002ff, "do_two", ""},
		{0xffffffff81000300, "", ""}, // data
		{0xffffffff81000500, "_etext", ""},
		{0xffffffff81200000, "", ""}, // beyond maxSymbolSize
		{0xffffffffc0201004, "ftrace_trampoline", "__builtin__ftrace"},
		{0xffffffffc0400090, "xfs_read", "xfs"},
		{0xffffffffc0500010, "bpf_prog_6deef7357e7b4530_sd_fw_egress", "bpf"},
		{0xffffffffc0500110, "bpf_prog_1234567890abcdef_tp_sched", "bpf"},
		{0xffffffff80000000, "", ""},
	} {
		s, ok := tab.Lookup(c.addr)
		if s.Name != c.function || tab.Modules()[s.Module] != c.module || ok != (c.function != "") {
			t.Errorf("Lookup(%#x) = %+v (module %q), %v; want %s in %q", c.addr, s, tab.Modules()[s.Module], ok, c.function, c.module)
		}
	}
}

func TestAddressesHidden(t *testing.T) {
	hidden := "0000000000000000 T _text\n0000000000000000 t do_one\n0000000000000000 t xfs_init\t[xfs]\n"
	if _, err := Parse(strings.NewReader(hidden)); !errors.Is(err, ErrAddressesHidden) {
		t.Fatalf("err = %v, want ErrAddressesHidden", err)
	}
	if !strings.Contains(ErrAddressesHidden.Error(), "kptr_restrict=0") {
		t.Error("the error does not say what to do")
	}
	tab, err := Parse(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tab.Lookup(0x1000); ok {
		t.Error("empty kallsyms named an address")
	}
}

// TestPfxNames checks that NAME, following __pfx_NAME, is stored as the end
// of that name, and that names that only look alike are not.
func TestPfxNames(t *testing.T) {
	in := "ffffffff81000000 T __pfx_alpha\n" +
		"ffffffff81000010 T alpha\n" +
		"ffffffff81000100 t __pfx_beta\n" +
		"ffffffff81000110 t betamax\n" + // not beta
		"ffffffff81000200 T __pfx_gamma\tmod\n" + // a malformed module: skipped
		"ffffffff81000300 T gamma\n"
	tab, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[uint64]string{
		0xffffffff81000001: "__pfx_alpha", 0xffffffff81000011: "alpha",
		0xffffffff81000101: "__pfx_beta", 0xffffffff81000111: "betamax",
		0xffffffff81000301: "gamma",
	} {
		if s, ok := tab.Lookup(addr); !ok || s.Name != want {
			t.Errorf("Lookup(%#x) = %q, %v; want %q", addr, s.Name, ok, want)
		}
	}
	if want := len("__pfx_alpha__pfx_betabetamaxgamma"); len(tab.names) != want {
		t.Errorf("names take %d bytes (%q); want %d", len(tab.names), tab.names, want)
	}
}

func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("testdata/kallsyms.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add("1 T a\n1 t b\t[m]\n0 T c\n")
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		for i, sym := range tab.syms {
			if i > 0 && tab.syms[i-1].addr >= sym.addr {
				t.Fatal("symbols not sorted and unique")
			}
			if s, ok := tab.Lookup(sym.addr); ok != (sym.rank() > 0) || (ok && s.Name == "") || s.Module >= len(tab.Modules()) {
				t.Fatalf("Lookup(%#x) = %+v, %v", sym.addr, s, ok)
			}
		}
	})
}
