package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// A spool file that does not hold one series of one profile is an error
// naming the file, not a panic or a batch.
func TestOpenSpoolBadFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "00000000000000000001-000001"+spoolSuffix)
	if err := os.WriteFile(bad, []byte("not a push request"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := openSpool(dir)
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("openSpool of a bad file: %v, want an error naming %s", err, bad)
	}
}

func FuzzReadSpooled(f *testing.F) {
	good, err := proto.Marshal(PushRequest(testBatches(1)))
	if err != nil {
		f.Fatal(err)
	}
	two, _ := proto.Marshal(PushRequest(testBatches(2)))
	f.Add(good)
	f.Add(two)
	f.Add([]byte{})
	f.Add([]byte("\x0a\x02\x0a\x00"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "x"+spoolSuffix)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := readSpooled(path)
		if err == nil && (b.Labels == nil || b.spoolPath != path) {
			t.Fatalf("batch %+v from %q", b, data)
		}
	})
}
