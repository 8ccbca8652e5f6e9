package fleet

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/flamekit/flamekit/profile"
)

// SplitOptions says how [Split] names and labels the batches.
type SplitOptions struct {
	// ServiceName puts every process's samples into one service of that
	// name. "" gives each executable its own: the base name of
	// /proc/PID/exe, or the sample's comm when the process has gone;
	// kernel threads are the one service KernelService.
	ServiceName string
	// Hostname is the hostname label; "" leaves it out.
	Hostname string
	// Labels are added to every batch. They cannot override __name__,
	// service_name or hostname.
	Labels map[string]string
	// Name is the profile's __name__; "" means "process_cpu" for the CPU
	// clocks and the event's name otherwise.
	Name string
}

// groupKey is what one batch holds: one service in one container or cgroup.
type groupKey struct {
	service, container, cgroup string
}

// Split returns one batch per service of p (per executable, or one when
// opts.ServiceName is set, and apart per container or cgroup), each a pprof
// of that service's samples with their pid and comm labels, in order of
// service name. Processes are looked up in /proc while they live.
func Split(p *profile.Profile, opts SplitOptions) ([]*Batch, error) {
	procs := map[int]procInfo{}
	groups := map[groupKey][]profile.Sample{}
	for _, s := range p.Samples {
		info, ok := procs[s.PID]
		if !ok {
			info = lookupProc(s.PID, s.Comm)
			procs[s.PID] = info
		}
		key := groupKey{service: info.executable, container: info.containerID, cgroup: info.cgroup}
		if opts.ServiceName != "" {
			key.service = opts.ServiceName
		}
		groups[key] = append(groups[key], s)
	}
	keys := slices.SortedFunc(maps.Keys(groups), func(a, b groupKey) int {
		if a.service != b.service {
			return cmp.Compare(a.service, b.service)
		}
		if a.container != b.container {
			return cmp.Compare(a.container, b.container)
		}
		return cmp.Compare(a.cgroup, b.cgroup)
	})
	batches := make([]*Batch, 0, len(keys))
	// One gzip writer for every batch: each new one would allocate its
	// ~800 KiB of compressor state (33 MiB of garbage for 40 services).
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a valid level: no error
	for _, key := range keys {
		sub := *p
		sub.Samples, sub.Timed = groups[key], nil
		buf.Reset()
		gz.Reset(&buf)
		err := sub.Pprof().WriteUncompressed(gz)
		if cerr := gz.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("fleet: pprof of %s: %w", key.service, err)
		}
		batches = append(batches, &Batch{ID: newID(), Labels: labels(p, key, opts), Pprof: bytes.Clone(buf.Bytes()), Start: p.Start})
	}
	return batches, nil
}

// labels returns a batch's labels: the caller's, then the ones Split sets.
func labels(p *profile.Profile, key groupKey, opts SplitOptions) map[string]string {
	l := maps.Clone(opts.Labels)
	if l == nil {
		l = map[string]string{}
	}
	if key.container != "" {
		l[LabelContainerID] = key.container
	}
	if key.cgroup != "" {
		l[LabelCgroup] = key.cgroup
	}
	name := opts.Name
	if name == "" {
		name = profileName(p.Event)
	}
	l[LabelName] = name
	l[LabelServiceName] = key.service
	if opts.Hostname != "" {
		l[LabelHostname] = opts.Hostname
	}
	return l
}

// profileName is the __name__ Pyroscope's own agents give a profile of the
// event: process_cpu for CPU time; other events by name, with the
// characters that a profile type ID cannot hold (":" and "/") made "_".
func profileName(e profile.Event) string {
	switch e.Name {
	case "cpu-clock", "task-clock", "":
		return "process_cpu"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, e.Name)
}
