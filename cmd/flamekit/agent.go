package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/flamekit/flamekit/profile"
)

// runAgent profiles the system continuously and, every interval, pushes one
// profile per service to Pyroscope and/or an OTLP profiles endpoint
// (queued while it is down) or writes a rotated pprof file.
func runAgent(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	f, err := parseAgentFlags(args, stderr)
	if err != nil {
		return err
	}
	backend, err := profile.ParseBackend(f.backend)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	// A continuous profiler should stay small next to what it watches:
	// each collection makes a burst of garbage, which GOGC=50 keeps from
	// doubling the heap (examples/agent measured 6 MiB less RSS).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	sink, err := f.newSink(log)
	if err != nil {
		return err
	}
	setAgentMemoryLimit(f.memoryLimit, 0)
	if f.metricsAddr != "" {
		stopMetrics, err := serveMetrics(f.metricsAddr, sink, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}

	// SIGTERM and Ctrl-C end the agent after a last collection and a
	// flush. (Notify also re-enables a SIGINT a background shell ignored.)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.total > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.total)
		defer cancel()
	}
	sessions, err := startAgentSessions(ctx, f, backend)
	if err != nil {
		sink.close(context.Background())
		return err
	}
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	log.Info("flamekit agent: sampling the system", "hz", f.freq, "off_cpu", f.offCPU, "backend", sessions[0].Backend().String(),
		"every", f.every, "to", sink.String())

	t := time.NewTicker(f.every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-sessions[0].Done():
			var errs []error
			for _, s := range sessions {
				p, err := s.Stop()
				if p != nil {
					sink.handle(n, p)
				}
				errs = append(errs, err)
			}
			flush, cancel := context.WithTimeout(context.Background(), f.flushTimeout)
			defer cancel()
			errs = append(errs, sink.close(flush))
			log.Info("flamekit agent: stopped", sink.stats()...)
			return errors.Join(errs...)
		case <-t.C:
		}
		for _, s := range sessions {
			p, err := s.Collect()
			if err != nil {
				sink.close(context.Background())
				return err
			}
			sink.handle(n, p)
		}
		// The profile, its pprof encodings and their garbage are dead
		// now: give their pages back rather than keep them until the
		// next collection (examples/agent: RSS stays flat).
		debug.FreeOSMemory()
		setAgentMemoryLimit(f.memoryLimit, sink.queuedBytes())
	}
}

// defaultAgentMemoryLimit is --memory-limit's default. The agent's live
// heap is 12 to 20 MiB on a busy host; a burst (naming a big program,
// building its unwind table, a collection's garbage) took its RSS from 35
// to 50-75 MiB at GOGC=50, which a soft limit of 32 MiB kept to 45.
const defaultAgentMemoryLimit = 32 << 20

// setAgentMemoryLimit sets the Go runtime's soft memory limit to base plus
// the bytes of the profiles queued, which the agent must hold while a
// backend is down (a fixed limit under a full queue would have the
// collector run without end). base 0, or GOMEMLIMIT set, leaves the
// runtime's limit alone.
func setAgentMemoryLimit(base, queued int64) {
	if base > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(base + queued)
	}
}

// startAgentSessions starts the system-wide CPU session and, with
// --off-cpu, the off-CPU one beside it. Both end when ctx does.
func startAgentSessions(ctx context.Context, f *agentFlags, backend profile.Backend) ([]*profile.Session, error) {
	cpu, err := profile.Start(ctx, profile.Options{Frequency: f.freq, Backend: backend})
	if err != nil {
		return nil, err
	}
	if !f.offCPU {
		return []*profile.Session{cpu}, nil
	}
	off, err := profile.Start(ctx, profile.Options{Mode: profile.ModeOffCPU, Backend: backend})
	if err != nil {
		cpu.Close()
		return nil, fmt.Errorf("--off-cpu: %w", err)
	}
	return []*profile.Session{cpu, off}, nil
}

// serveMetrics serves the sink's counts at http://addr/metrics until the
// returned function is called.
func serveMetrics(addr string, sink *agentSink, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		sink.writeMetrics(w)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("flamekit agent: metrics server", "err", err)
		}
	}()
	log.Info("flamekit agent: metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { srv.Close() }, nil
}
