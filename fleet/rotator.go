package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/flamekit/flamekit/profile"
)

// Rotator writes profiles as pprof files in a directory and removes the
// oldest beyond its bounds, so that an agent without a backend keeps the
// recent past in bounded space.
type Rotator struct {
	// Dir holds the files, named PREFIX-YYYYMMDDTHHMMSS.NNNZ.pb.gz (UTC),
	// so that their names sort by time.
	Dir string
	// Prefix starts the files' names ("cpu" when empty); the bounds apply
	// to the files of this prefix alone, so rotators of other prefixes
	// (cpu, offcpu) can share a directory.
	Prefix string
	// MaxFiles and MaxBytes bound the files kept (0: no bound).
	MaxFiles int
	MaxBytes int64
}

const rotatorSuffix = ".pb.gz"

func (r *Rotator) prefix() string {
	if r.Prefix == "" {
		return "cpu-"
	}
	return r.Prefix + "-"
}

// Write writes p to a new file, then removes the oldest files beyond the
// bounds. It returns the new file's path.
func (r *Rotator) Write(p *profile.Profile) (string, error) {
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return "", fmt.Errorf("fleet: %w", err)
	}
	name := r.prefix() + p.Start.UTC().Format("20060102T150405.000Z") + rotatorSuffix
	path := filepath.Join(r.Dir, name)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return "", fmt.Errorf("fleet: %w", err)
	}
	err = p.WritePprof(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	if err != nil {
		os.Remove(path + ".tmp")
		return "", fmt.Errorf("fleet: %s: %w", path, err)
	}
	return path, r.trim()
}

// trim removes the oldest files until the bounds hold.
func (r *Rotator) trim() error {
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	type file struct {
		name string
		size int64
	}
	var files []file
	var total int64
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), r.prefix()) || !strings.HasSuffix(e.Name(), rotatorSuffix) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		files = append(files, file{e.Name(), fi.Size()})
		total += fi.Size()
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	for len(files) > 1 && (r.MaxFiles > 0 && len(files) > r.MaxFiles || r.MaxBytes > 0 && total > r.MaxBytes) {
		if err := os.Remove(filepath.Join(r.Dir, files[0].name)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("fleet: %w", err)
		}
		total -= files[0].size
		files = files[1:]
	}
	return nil
}
