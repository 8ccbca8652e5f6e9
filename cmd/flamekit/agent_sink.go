package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/flamekit/flamekit/fleet"
	"github.com/flamekit/flamekit/profile"
)

// agentSink is where the agent's profiles go: split per service into
// Pyroscope's queue, or whole into rotated files.
type agentSink struct {
	log      *slog.Logger
	split    fleet.SplitOptions
	queue    *fleet.Queue              // with --pyroscope
	rotators map[string]*fleet.Rotator // with --out alone, by profile name
	url      string
	out      string
}

// newSink returns the sink the flags ask for.
func (f *agentFlags) newSink(log *slog.Logger) (*agentSink, error) {
	if f.pyroscope == "" {
		rotators := map[string]*fleet.Rotator{}
		for _, name := range []string{"cpu", "offcpu"} {
			rotators[name] = &fleet.Rotator{Dir: f.out, Prefix: name, MaxFiles: f.outMaxFiles, MaxBytes: f.outMaxBytes}
		}
		return &agentSink{log: log, rotators: rotators, out: f.out}, nil
	}
	host := f.hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	client, err := fleet.NewPyroscope(f.pyroscope, fleet.PyroscopeOptions{TenantID: f.tenant})
	if err != nil {
		return nil, fmt.Errorf("%w: --pyroscope: %v", errUsage, err)
	}
	q, err := fleet.NewQueue(client, fleet.QueueOptions{MaxBatches: f.queueMax, MaxBytes: f.queueMaxBytes,
		MaxBackoff: f.maxBackoff, SpoolDir: f.out, Logger: log})
	if err != nil {
		return nil, err
	}
	return &agentSink{log: log, queue: q, url: f.pyroscope,
		split: fleet.SplitOptions{ServiceName: f.serviceName, Hostname: host, Labels: f.labels}}, nil
}

// String says where the profiles go.
func (k *agentSink) String() string {
	if k.queue != nil {
		return k.url
	}
	return k.out
}

// handle sends collection n's profile on, and logs the agent's counts.
func (k *agentSink) handle(n int, p *profile.Profile) {
	if p.Lost > 0 {
		k.log.Warn("flamekit agent: samples lost", "collection", n, "lost", p.Lost)
	}
	if k.rotators != nil {
		r := k.rotators["cpu"]
		if p.Event.Name == "off-cpu" {
			r = k.rotators["offcpu"]
		}
		path, err := r.Write(p)
		if err != nil {
			k.log.Error("flamekit agent: writing the profile", "err", err)
			return
		}
		k.log.Info("flamekit agent: collected", "collection", n, "event", p.Event.Name, "samples", p.Total(), "file", path, "memory", memory())
		return
	}
	batches, err := fleet.Split(p, k.split)
	if err != nil {
		k.log.Error("flamekit agent: profile not pushed", "collection", n, "err", err)
		return
	}
	for _, b := range batches {
		if err := k.queue.Put(b); err != nil {
			k.log.Error("flamekit agent: profile not queued", "service", b.Service(), "err", err)
		}
	}
	k.log.Info("flamekit agent: collected", "collection", n, "event", p.Event.Name, "samples", p.Total(), "services", len(batches),
		"stats", k.queue.Stats().String(), "memory", memory())
}

// stats returns the queue's counts, or "" without one.
func (k *agentSink) stats() string {
	if k.queue == nil {
		return ""
	}
	return k.queue.Stats().String()
}

// writeMetrics writes the counts in Prometheus' text format.
func (k *agentSink) writeMetrics(w io.Writer) {
	if k.queue != nil {
		k.queue.Stats().WritePrometheus(w, "flamekit_agent")
	}
}

// close flushes the queue within ctx's deadline.
func (k *agentSink) close(ctx context.Context) error {
	if k.queue == nil {
		return nil
	}
	return k.queue.Close(ctx)
}

// memory returns the agent's resident set size and its anonymous and
// file-backed parts (mapped binaries whose symbol tables were read), as
// /proc/self/status says them.
func memory() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	var fields []string
	for _, line := range strings.Split(string(b), "\n") {
		for _, name := range []string{"VmRSS", "RssAnon", "RssFile"} {
			if v, ok := strings.CutPrefix(line, name+":"); ok {
				fields = append(fields, name+"="+strings.Join(strings.Fields(v), ""))
			}
		}
	}
	return strings.Join(fields, " ")
}
