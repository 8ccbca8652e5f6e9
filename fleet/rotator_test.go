package fleet

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	pprofile "github.com/google/pprof/profile"
)

// The rotator keeps the newest files within its count and size bounds, each
// a pprof the profile's samples.
func TestRotatorKeepsTheNewestWithinBounds(t *testing.T) {
	p := recordFleetWork(t)
	dir := t.TempDir()
	r := &Rotator{Dir: dir, MaxFiles: 3}
	start := p.Start
	var paths []string
	for i := range 5 {
		p.Start = start.Add(time.Duration(i) * time.Second)
		path, err := r.Write(p)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	if got := dirFiles(t, dir); !slices.Equal(got, paths[2:]) {
		t.Fatalf("files %v, want the newest three %v", got, paths[2:])
	}
	f, err := os.Open(paths[4])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pp, err := pprofile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, s := range pp.Sample {
		n += s.Value[0]
	}
	if uint64(n) != p.Total() || n == 0 {
		t.Errorf("the file has %d samples, the profile %d", n, p.Total())
	}

	// A byte bound smaller than two files keeps one. (The files' sizes
	// differ by a few bytes, their times packed differently: a bound of
	// one file's size is well below any two.)
	fi, _ := os.Stat(paths[4])
	r.MaxFiles, r.MaxBytes = 0, fi.Size()
	p.Start = start.Add(time.Minute)
	last, err := r.Write(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := dirFiles(t, dir); !slices.Equal(got, []string{last}) {
		t.Errorf("files %v, want only %v", got, last)
	}
}

func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	return paths
}
