package perfevent

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var capture = flag.Bool("capture", false, "write real records to testdata/fuzz/FuzzParseRecord (needs root)")

// TestCaptureRecords, with -capture, samples CPU 0 system-wide with task
// records and a one-page ring it lets overflow while processes come and
// go, and keeps one real record of each type as a seed of FuzzParseRecord;
// then again with user registers and a (small) user stack copy.
func TestCaptureRecords(t *testing.T) {
	if !*capture {
		t.Skip("writes the seed corpus; run with -capture")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParseRecord")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, user := range []bool{false, true} {
		o := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_CLOCK},
			Frequency: 4000, Task: true, Cgroup: true}
		suffix := ""
		if user {
			o.UserRegs, o.UserStack, suffix = true, 128, "-user"
		}
		for name, rec := range captureRecords(t, o.Attr()) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(true)\nbool(%t)\n", rec, user)
			if err := os.WriteFile(filepath.Join(dir, name+suffix), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// captureRecords samples CPU 0 with a while processes run there, and
// returns a record of each type by name.
func captureRecords(t *testing.T, a unix.PerfEventAttr) map[string][]byte {
	ev, err := Open(&a, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	ring, err := ev.Mmap(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	if err := ev.Enable(); err != nil {
		t.Fatal(err)
	}
	kept := map[string][]byte{}
	keep := func(rec []byte) {
		r, err := ParseRecord(rec, &a)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("type%d", r.Type)
		if r.Type == RecordSample {
			k, u := SplitCallchain(r.Callchain)
			name = fmt.Sprintf("sample-k%t-u%t", len(k) > 0, len(u) > 0)
		}
		if _, ok := kept[name]; !ok && len(rec) < 1024 {
			kept[name] = append([]byte(nil), rec...)
		}
	}
	for range 5 {
		exec.Command("taskset", "-c", "0", "sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done").Run()
		time.Sleep(50 * time.Millisecond)
		if err := ring.Read(keep); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("kept %d records", len(kept))
	return kept
}
