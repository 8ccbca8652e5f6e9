package procfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	in := "Name:\tjava\nUmask:\t0022\nUid:\t1000\t1001\t1002\t1003\nNSpid:\t4242\t17\t1\n"
	st, err := ParseStatus(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "java" || st.UIDs != [4]uint32{1000, 1001, 1002, 1003} || len(st.NSpid) != 3 || st.NSpid[2] != 1 {
		t.Fatalf("got %+v", st)
	}
	for _, bad := range []string{"Uid:\t1 2\n", "Uid:\ta b c d\n", "NSpid:\t12 x\n", "NSpid:\t0\n"} {
		if _, err := ParseStatus(strings.NewReader(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestReadStatusSelf(t *testing.T) {
	pid := os.Getpid()
	d, err := OpenDir(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	st, err := d.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.NSpid[0] != pid {
		t.Errorf("NSpid = %v, want %d first", st.NSpid, pid)
	}
	if st.UIDs[0] != uint32(os.Getuid()) || st.UIDs[1] != uint32(os.Geteuid()) {
		t.Errorf("UIDs = %v, want %d/%d", st.UIDs, os.Getuid(), os.Geteuid())
	}
	exe, err := d.Readlink("exe")
	if err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	if filepath.Clean(exe) != self || !strings.HasPrefix(filepath.Base(self), st.Name) {
		t.Errorf("Exe = %q, Name = %q, want %q", exe, st.Name, self)
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add("Name:\tjava\nUmask:\t0022\nUid:\t1000\t1001\t1002\t1003\nNSpid:\t4242\t17\t1\n")
	f.Add("Uid:\t1 2 3 4 5\nNSpid:\n:\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStatus(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("error not wrapping ErrMalformed: %v", err)
			}
			return
		}
		for _, n := range st.NSpid {
			if n <= 0 {
				t.Fatalf("NSpid %v", st.NSpid)
			}
		}
	})
}
