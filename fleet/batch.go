package fleet

import (
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"time"

	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"
)

// Label names that Pyroscope and its UI group by.
const (
	LabelName        = "__name__" // the profile's name, such as process_cpu
	LabelServiceName = "service_name"
	LabelHostname    = "hostname"
	LabelContainerID = "container_id"
	LabelCgroup      = "cgroup"
)

// Batch is one profile to push: a service's samples of one collection.
type Batch struct {
	// ID identifies the profile to Pyroscope (a random UUID).
	ID string
	// Labels are the series' labels, LabelName and LabelServiceName
	// among them.
	Labels map[string]string
	// Pprof is the gzipped pprof protobuf.
	Pprof []byte
	// Start is when the profile's samples began.
	Start time.Time

	spoolPath string // its file in the spool, if spooled
}

// Service returns the batch's service_name label.
func (b *Batch) Service() string { return b.Labels[LabelServiceName] }

// size is what the batch costs the queue's byte bound.
func (b *Batch) size() int64 {
	n := int64(len(b.Pprof))
	for k, v := range b.Labels {
		n += int64(len(k) + len(v))
	}
	return n
}

// labelPairs returns the labels as Pyroscope's type, sorted by name.
func (b *Batch) labelPairs() []*typesv1.LabelPair {
	names := slices.Sorted(maps.Keys(b.Labels))
	pairs := make([]*typesv1.LabelPair, len(names))
	for i, n := range names {
		pairs[i] = &typesv1.LabelPair{Name: n, Value: b.Labels[n]}
	}
	return pairs
}

// newID returns a random (version 4) UUID.
func newID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}
