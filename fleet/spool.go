package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"google.golang.org/protobuf/proto"
)

// spoolSuffix ends the name of a spooled batch: a push.v1 PushRequest of
// its one series.
const spoolSuffix = ".pushreq"

// spool keeps a file of each queued batch in a directory.
type spool struct {
	dir string
	seq atomic.Uint64
}

// openSpool creates dir if needed and returns the batches spooled there,
// oldest first. A file that does not decode is said in the error.
func openSpool(dir string) (*spool, []*Batch, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("fleet: spool: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("fleet: spool: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), spoolSuffix) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names) // named by time: oldest first
	var batches []*Batch
	for _, name := range names {
		path := filepath.Join(dir, name)
		b, err := readSpooled(path)
		if err != nil {
			return nil, nil, err
		}
		batches = append(batches, b)
	}
	return &spool{dir: dir}, batches, nil
}

func readSpooled(path string) (*Batch, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fleet: spool: %w", err)
	}
	var req pushv1.PushRequest
	if err := proto.Unmarshal(data, &req); err != nil {
		return nil, fmt.Errorf("fleet: spool: %s: %w", path, err)
	}
	if len(req.Series) != 1 || len(req.Series[0].Samples) != 1 {
		return nil, fmt.Errorf("fleet: spool: %s: want one series of one profile, have %d series", path, len(req.Series))
	}
	s := req.Series[0]
	b := &Batch{ID: s.Samples[0].ID, Pprof: s.Samples[0].RawProfile, Labels: map[string]string{}, spoolPath: path}
	for _, l := range s.Labels {
		b.Labels[l.Name] = l.Value
	}
	if fi, err := os.Stat(path); err == nil {
		b.Start = fi.ModTime()
	}
	return b, nil
}

// write writes b's file (via a temporary name, so a crash leaves no half
// file) and remembers its path in b.
func (s *spool) write(b *Batch) error {
	data, err := proto.Marshal(PushRequest([]*Batch{b}))
	if err != nil {
		return fmt.Errorf("fleet: spool: %w", err)
	}
	name := fmt.Sprintf("%020d-%06d%s", time.Now().UnixNano(), s.seq.Add(1)%1e6, spoolSuffix)
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path+".tmp", data, 0o644); err != nil {
		return fmt.Errorf("fleet: spool: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("fleet: spool: %w", err)
	}
	b.spoolPath = path
	return nil
}

// remove deletes b's file, once it was pushed or dropped.
func (s *spool) remove(b *Batch) error {
	if b.spoolPath == "" {
		return nil
	}
	if err := os.Remove(b.spoolPath); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("fleet: spool: %w", err)
	}
	b.spoolPath = ""
	return nil
}
