package symbolize

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNativeInlines checks inlined frames and file:line at -O2 with DWARF 4
// and 5, plain and compressed: inside global_work, some address must be in
// the inlined square_plus at its MARK:inner line, called from global_work at
// its MARK:call line; and at every address of global_work the function
// names and lines agree with addr2line -i.
func TestNativeInlines(t *testing.T) {
	inner := ntMarkLine(t, "prog.c", "MARK:inner")
	call := ntMarkLine(t, "prog.c", "MARK:call")
	dir := t.TempDir()
	for i, flags := range [][]string{{"-gdwarf-4"}, {"-gdwarf-5"}, {"-gdwarf-5", "-gz=zlib"}, {"-gdwarf-4", "-gz=zlib", "-no-pie", "-fno-pie"}} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			bin := ntBuild(t, dir, "gcc", "prog.c", "inl"+strconv.Itoa(i), append([]string{"-O2"}, flags...)...)
			tab := ntOpen(t, bin, nativeOptions{})
			addr, size := ntSym(t, bin, "global_work")
			found := false
			var addrs []string
			var ours [][]Frame
			for a := addr; a < addr+size; a++ {
				fr, ok := tab.lookup(a, true, nil)
				if !ok {
					t.Fatalf("%#x not named", a)
				}
				if len(fr) == 2 && fr[0].Function == "square_plus" && fr[0].Inlined && fr[0].Line == inner &&
					fr[1].Function == "global_work" && !fr[1].Inlined && fr[1].Line == call &&
					filepath.Base(fr[0].File) == "prog.c" && filepath.Base(fr[1].File) == "prog.c" {
					found = true
				}
				addrs = append(addrs, fmt.Sprintf("%#x", a))
				ours = append(ours, fr)
			}
			if !found {
				t.Errorf("no address of global_work shows square_plus:%d inlined into global_work:%d", inner, call)
			}
			ntCompareAddr2line(t, bin, addrs, ours)
		})
	}
}

// ntCompareAddr2line checks our frames against addr2line -f -i.
func ntCompareAddr2line(t *testing.T, bin string, addrs []string, ours [][]Frame) {
	t.Helper()
	a2l, err := exec.LookPath("addr2line")
	if err != nil {
		return // binutils is checked by the build steps
	}
	cmd := exec.Command(a2l, "-f", "-i", "-a", "-e", bin)
	cmd.Stdin = strings.NewReader(strings.Join(addrs, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	// Output: "0xADDR" then pairs of function and file:line lines.
	var theirs [][]string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "0x") {
			theirs = append(theirs, nil)
		} else if len(theirs) > 0 {
			theirs[len(theirs)-1] = append(theirs[len(theirs)-1], l)
		}
	}
	if len(theirs) != len(ours) {
		t.Fatalf("addr2line gave %d addresses, we %d", len(theirs), len(ours))
	}
	bad := 0
	for i, want := range theirs {
		var got []string
		for _, f := range ours[i] {
			got = append(got, f.Function, fmt.Sprintf("%s:%d", f.File, f.Line))
		}
		for j := 1; j < len(want); j += 2 {
			want[j], _, _ = strings.Cut(want[j], " ") // drop " (discriminator N)"
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			if bad++; bad <= 5 {
				t.Errorf("%s: got %q, addr2line %q", addrs[i], got, want)
			}
		}
	}
}

// TestNativeConcurrentLines checks that lookups with lines from several
// goroutines, racing to read the DWARF and parse units, agree with serial
// ones (run with -race), and that sizeBytes counts the DWARF once read.
func TestNativeConcurrentLines(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "g++", "prog.cc", "cxx", "-O2", "-g")
	addr, size := ntSym(t, bin, "main")
	serial := ntOpen(t, bin, nativeOptions{})
	before := serial.sizeBytes()
	want := make([][]Frame, size)
	for i := range want {
		want[i], _ = serial.lookup(addr+uint64(i), true, nil)
	}
	if after := serial.sizeBytes(); after <= before {
		t.Errorf("sizeBytes %d before DWARF, %d after", before, after)
	}
	tab := ntOpen(t, bin, nativeOptions{})
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			var fr []Frame
			for i := range want {
				fr, _ = tab.lookup(addr+uint64(i), true, fr[:0])
				if fmt.Sprint(fr) != fmt.Sprint(want[i]) {
					errs <- fmt.Sprintf("%#x: %v, serially %v", addr+uint64(i), fr, want[i])
					return
				}
			}
			errs <- ""
		}()
	}
	for g := 0; g < 4; g++ {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
