package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/flamekit/flamekit/fleet"
	"github.com/flamekit/flamekit/profile"
)

// agentSink is where the agent's profiles go: split per service into the
// queue of each backend (Pyroscope's push API, OTLP), or whole into
// rotated files.
type agentSink struct {
	log      *slog.Logger
	split    fleet.SplitOptions
	backends []*agentBackend           // with --pyroscope, --otlp or both
	rotators map[string]*fleet.Rotator // with --out alone, by profile name
	out      string
}

// agentBackend is one backend's queue.
type agentBackend struct {
	url      string
	queue    *fleet.Queue
	statsKey string // its counts' key in the log
	metrics  string // its metrics' name prefix
}

// newSink returns the sink the flags ask for.
func (f *agentFlags) newSink(log *slog.Logger) (*agentSink, error) {
	if f.pyroscope == "" && f.otlp == "" {
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
	k := &agentSink{log: log, split: fleet.SplitOptions{ServiceName: f.serviceName, Hostname: host, Labels: f.labels}}
	if f.pyroscope != "" {
		client, err := fleet.NewPyroscope(f.pyroscope, fleet.PyroscopeOptions{TenantID: f.tenant})
		if err != nil {
			return nil, fmt.Errorf("%w: --pyroscope: %v", errUsage, err)
		}
		if err := k.addBackend(f, client, f.pyroscope, f.out, "stats", "flamekit_agent"); err != nil {
			return nil, err
		}
	}
	if f.otlp != "" {
		client, err := fleet.NewOTLP(f.otlp, fleet.OTLPOptions{TenantID: f.tenant})
		if err == nil {
			spool := ""
			if f.out != "" {
				spool = filepath.Join(f.out, "otlp")
			}
			err = k.addBackend(f, client, client.Endpoint(), spool, "otlp_stats", "flamekit_agent_otlp")
		} else {
			err = fmt.Errorf("%w: --otlp: %v", errUsage, err)
		}
		if err != nil {
			k.close(context.Background())
			return nil, err
		}
	}
	return k, nil
}

// addBackend starts a queue that pushes with p, spooled to spool if set.
func (k *agentSink) addBackend(f *agentFlags, p fleet.Pusher, url, spool, statsKey, metrics string) error {
	q, err := fleet.NewQueue(p, fleet.QueueOptions{MaxBatches: f.queueMax, MaxBytes: f.queueMaxBytes,
		MaxBackoff: f.maxBackoff, SpoolDir: spool, Logger: k.log.With("backend", url)})
	if err != nil {
		return err
	}
	k.backends = append(k.backends, &agentBackend{url: url, queue: q, statsKey: statsKey, metrics: metrics})
	return nil
}

// String says where the profiles go.
func (k *agentSink) String() string {
	if k.backends == nil {
		return k.out
	}
	var urls []string
	for _, b := range k.backends {
		urls = append(urls, b.url)
	}
	return strings.Join(urls, " ")
}

// handle sends collection n's profile on, and logs the agent's counts.
func (k *agentSink) handle(n int, p *profile.Profile) {
	if p.Lost > 0 {
		k.log.Warn("flamekit agent: samples lost", "collection", n, "lost", p.Lost)
	}
	if k.rotators != nil {
		if p.Total() == 0 {
			// The last collection, at a stop just after a tick, may
			// cover no time: a file of nothing would push a profile
			// out of the rotation.
			k.log.Info("flamekit agent: collected", "collection", n, "event", p.Event.Name, "samples", 0, "file", "none", "memory", memory())
			return
		}
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
	for _, backend := range k.backends {
		for _, b := range batches {
			if err := backend.queue.Put(b); err != nil {
				k.log.Error("flamekit agent: profile not queued", "backend", backend.url, "service", b.Service(), "err", err)
			}
		}
	}
	attrs := []any{"collection", n, "event", p.Event.Name, "samples", p.Total(), "services", len(batches)}
	attrs = append(attrs, k.stats()...)
	k.log.Info("flamekit agent: collected", append(attrs, "memory", memory())...)
}

// stats returns each queue's counts as log attributes: "stats" for
// Pyroscope's, "otlp_stats" for OTLP's.
func (k *agentSink) stats() []any {
	var attrs []any
	for _, b := range k.backends {
		attrs = append(attrs, b.statsKey, b.queue.Stats().String())
	}
	return attrs
}

// queuedBytes is the size of the profiles the backends' queues hold.
func (k *agentSink) queuedBytes() int64 {
	var n int64
	for _, b := range k.backends {
		n += b.queue.Stats().QueuedBytes
	}
	return n
}

// writeMetrics writes the counts in Prometheus' text format:
// flamekit_agent_* for Pyroscope's queue, flamekit_agent_otlp_* for OTLP's.
func (k *agentSink) writeMetrics(w io.Writer) {
	for _, b := range k.backends {
		b.queue.Stats().WritePrometheus(w, b.metrics)
	}
}

// close flushes the queues within ctx's deadline.
func (k *agentSink) close(ctx context.Context) error {
	var errs []error
	for _, b := range k.backends {
		errs = append(errs, b.queue.Close(ctx))
	}
	return errors.Join(errs...)
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
