package procfs

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatStartTime(t *testing.T) {
	stat := "17994 (a (b) c) R 17987 17987 19518 0 -1 4194304 105 0 0 0 0 0 0 0 20 0 1 0 393475 2998272 416\n"
	if got, err := ParseStatStartTime([]byte(stat)); err != nil || got != 393475 {
		t.Errorf("got %d, %v; want 393475", got, err)
	}
	for _, bad := range []string{"", "1 (x) R 1 2", "1 (x) R 1 1 1 0 -1 4 1 0 0 0 0 0 0 0 20 0 1 0 zz 1 1"} {
		if _, err := ParseStatStartTime([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v, want ErrMalformed", bad, err)
		}
	}
	if b, err := ParseBootTime(strings.NewReader("cpu 1 2\nbtime 1795874756\n")); err != nil || b.Unix() != 1795874756 {
		t.Errorf("btime %v, %v", b, err)
	}
	if _, err := ParseBootTime(strings.NewReader("cpu 1 2\n")); !errors.Is(err, ErrMalformed) {
		t.Errorf("no btime: %v", err)
	}
}

func TestStartTimeSelf(t *testing.T) {
	d, err := OpenDir(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start, err := d.StartTime()
	if err != nil {
		t.Fatal(err)
	}
	if age := time.Since(start); age < -2*time.Second || age > 10*time.Minute {
		t.Errorf("this process started %v ago?", age)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add("17994 (a (b) c) R 17987 17987 19518 0 -1 4194304 105 0 0 0 0 0 0 0 20 0 1 0 393475 2998272 416\n", "cpu 1 2\nbtime 1795874756\n")
	f.Fuzz(func(t *testing.T, stat, procStat string) {
		if _, err := ParseStatStartTime([]byte(stat)); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("stat: error not wrapping ErrMalformed: %v", err)
		}
		if _, err := ParseBootTime(strings.NewReader(procStat)); err != nil && !errors.Is(err, ErrMalformed) && !strings.Contains(err.Error(), "token too long") {
			t.Fatalf("btime: error not wrapping ErrMalformed: %v", err)
		}
	})
}
