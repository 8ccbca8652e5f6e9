package procfs

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseMapsEdgeCases(t *testing.T) {
	f, err := os.Open("testdata/maps.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	maps, err := ParseMaps(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Mapping{
		{Start: 0x400000, End: 0x452000, Perms: "r-xp", Major: 8, Minor: 2, Inode: 173521, Path: "/usr/bin/dbus-daemon"},
		{Start: 0x7f79e2e00000, End: 0x7f79e4200000, Offset: 0x14c4000, Perms: "r-xp", Major: 0xfe, Minor: 1, Inode: 1234, Path: "/usr/bin/node"},
		{Start: 0x55d0a2c7e000, End: 0x55d0a2c9f000, Perms: "rw-p", Path: "[heap]"},
		{Start: 0x7f3c1a200000, End: 0x7f3c1a400000, Perms: "r-xp"},
		{Start: 0x7f3c1a400000, End: 0x7f3c1a401000, Perms: "r-xp", Major: 8, Minor: 1, Inode: 99, Path: "/tmp/my dir/with  spaces.so", Deleted: true},
		{Start: 0x7f3c1a401000, End: 0x7f3c1a402000, Offset: 0x1000, Perms: "r-xp", Minor: 1, Inode: 2050, Path: "/memfd:jit code", Deleted: true},
		{Start: 0x7f3c1a402000, End: 0x7f3c1a403000, Perms: "r--p", Path: "[anon:dalvik-main space]"},
		{Start: 0x7ffd8e1f0000, End: 0x7ffd8e1f2000, Perms: "r-xp", Path: "[vdso]"},
		{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "--xp", Path: "[vsyscall]"},
	}
	if !reflect.DeepEqual(maps, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", maps, want)
	}
	for i, anon := range []bool{false, false, false, true, false, false, true, false, false} {
		if maps[i].Anonymous() != anon {
			t.Errorf("%q: Anonymous() = %v", maps[i].Path, !anon)
		}
	}
	if m := (Mapping{Path: "[anon_shmem:jit]"}); !m.Anonymous() || !m.Pseudo() {
		t.Error("[anon_shmem:NAME] is anonymous memory")
	}
	if !maps[7].Pseudo() || maps[1].Pseudo() || !maps[1].Executable() || maps[2].Executable() {
		t.Error("Pseudo/Executable wrong")
	}
}

// TestParseExecutableMaps checks that the executable-only parse gives the
// executable mappings of the full parse, and still reports malformed lines.
func TestParseExecutableMaps(t *testing.T) {
	seed, err := os.ReadFile("testdata/maps.txt")
	if err != nil {
		t.Fatal(err)
	}
	all, err := ParseMaps(strings.NewReader(string(seed)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseExecutableMaps(strings.NewReader(string(seed)))
	if err != nil {
		t.Fatal(err)
	}
	var want []Mapping
	for _, m := range all {
		if m.Executable() {
			want = append(want, m)
		}
	}
	if len(want) == len(all) || !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
	for _, line := range []string{"00400000-00500000 r-x", "00400000", "0-1  r-xp 0 0:0 x"} {
		if _, err := ParseExecutableMaps(strings.NewReader(line)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", line, err)
		}
	}
	self, err := ReadExecutableMaps(os.Getpid())
	if err != nil || len(self) == 0 {
		t.Fatalf("ReadExecutableMaps(self) = %d mappings, %v", len(self), err)
	}
}

func TestParseMapsMalformed(t *testing.T) {
	for _, line := range []string{
		"00400000 r-xp 00000000 08:02 1 /bin/x",
		"00500000-00400000 r-xp 00000000 08:02 1 /bin/x",
		"00400000-00500000 r-x 00000000 08:02 1 /bin/x",
		"00400000-00500000 r-xp 0000z000 08:02 1 /bin/x",
		"00400000-00500000 r-xp 00000000 0802 1 /bin/x",
		"00400000-00500000 r-xp 00000000 08:02 -1 /bin/x",
		"00400000-00500000",
	} {
		if _, err := ParseMaps(strings.NewReader(line)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", line, err)
		}
	}
}

func TestReadMapsSelf(t *testing.T) {
	maps, err := ReadExecutableMaps(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var text, vdso bool
	for _, m := range maps {
		text = text || (m.Path == exe && m.Executable())
		vdso = vdso || m.Path == "[vdso]"
	}
	if !text || !vdso {
		t.Fatalf("no executable mapping of %s (%v) or no [vdso] (%v) in %d mappings", exe, text, vdso, len(maps))
	}
}

func FuzzParseMaps(f *testing.F) {
	seed, err := os.ReadFile("testdata/maps.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add("0-1 ---p 0 0:0 0\n\n")
	f.Add("0-1\tr-xp\t0 0:0 0 /x\n 2-3  --xp 0 0:0 0\n")
	f.Fuzz(func(t *testing.T, s string) {
		maps, err := ParseMaps(strings.NewReader(s))
		exec, execErr := ParseExecutableMaps(strings.NewReader(s))
		if err != nil {
			return
		}
		if execErr != nil {
			t.Fatalf("the full parse passes, the executable one fails: %v", execErr)
		}
		n := 0
		for _, m := range maps {
			if m.End < m.Start {
				t.Fatalf("end before start: %+v", m)
			}
			if m.Executable() {
				if n >= len(exec) || !reflect.DeepEqual(exec[n], m) {
					t.Fatalf("executable mapping %d: %+v, not in %+v", n, m, exec)
				}
				n++
			}
		}
		if n != len(exec) {
			t.Fatalf("%d executable mappings, the executable parse gives %d", n, len(exec))
		}
	})
}
