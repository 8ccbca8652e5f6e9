// Command agent is a continuous profiler, as an observability agent embeds
// flamekit: it samples the whole system and, every interval, collects a
// profile without stopping, pushes it to Grafana Pyroscope (one profile per
// service, through package fleet's queue, which holds them while Pyroscope
// is down) and/or writes it as pprof, and logs what it costs.
//
//	sudo go run ./examples/agent -every 10s -pyroscope http://127.0.0.1:4040
//	sudo go run ./examples/agent -every 10s -out /tmp/profiles
//
// A Pyroscope to push to, on this machine (built from grafana/pyroscope's
// source: go build ./cmd/pyroscope; bench/pyroscope-e2e builds and caches
// one in ~/.cache/flamekit/pyroscope/pyroscope):
//
//	pyroscope -target=all -architecture.storage=v1 -write-path=ingester -usage-stats.enabled=false \
//	  -server.http-listen-address=127.0.0.1 -server.http-listen-port=4040 \
//	  -server.grpc-listen-address=127.0.0.1 -server.grpc-listen-port=9095 \
//	  -pyroscopedb.data-path=/var/lib/pyroscope -storage.backend=filesystem \
//	  -storage.filesystem.dir=/var/lib/pyroscope/blocks \
//	  -memberlist.advertise-addr=127.0.0.1 -memberlist.bind-addr=127.0.0.1 -ingester.lifecycler.addr=127.0.0.1 \
//	  -distributor.ring.instance-addr=127.0.0.1 -query-scheduler.ring.instance-addr=127.0.0.1 \
//	  -compactor.ring.instance-addr=127.0.0.1 -store-gateway.sharding-ring.instance-addr=127.0.0.1 \
//	  -overrides-exporter.ring.instance-addr=127.0.0.1 -query-frontend.instance-addr=127.0.0.1
//
// It answers GET /ready after about 20 s. Every address must be loopback (or
// all the machine's): otherwise its rings advertise another and queries hang.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/flamekit/flamekit/fleet"
	"github.com/flamekit/flamekit/profile"
)

func main() {
	every := flag.Duration("every", 10*time.Second, "how often to collect a profile")
	hz := flag.Uint64("F", 99, "sampling frequency")
	out := flag.String("out", "", "directory for the pprof files (none: profiles are only counted)")
	pyroscope := flag.String("pyroscope", "", "push each service's profile to the Grafana Pyroscope at this URL")
	total := flag.Duration("for", 0, "stop after this long (0: until Ctrl-C or SIGTERM)")
	memprofile := flag.String("memprofile", "", "write the agent's own heap profile here at the end")
	gogc := flag.Int("gogc", 50, "the garbage collector's GOGC, unless the GOGC environment variable is set")
	release := flag.Bool("release", true, "return the heap's free memory to the system after each collection")
	memoryLimit := flag.Int64("memory-limit", 32<<20, "soft limit, in bytes, on the agent's Go memory beyond the profiles queued (0: none; GOMEMLIMIT wins)")
	flag.Parse()

	// A continuous profiler should stay small next to what it watches. Its
	// live heap is small (symbol tables stay in their files), but each
	// collection makes a burst of garbage, and at the default GOGC=100 the
	// heap may grow to twice the live heap in between. GOGC=50 took about
	// 6 MiB off its RSS in bench/record-soak, for no measurable CPU.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(*gogc)
	}
	// A burst (naming a big program, building its unwind table) still
	// takes the heap well past the live heap: a soft limit makes the
	// collector work harder instead. It is raised by what the queue holds
	// while Pyroscope is down, or the collector would run without end.
	limit := func(queued int64) {
		if *memoryLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(*memoryLimit + queued)
		}
	}
	limit(0)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *total > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *total)
		defer cancel()
	}
	s, err := profile.Start(ctx, profile.Options{Frequency: *hz})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if *memprofile != "" {
		defer writeHeap(*memprofile)
	}
	log.Printf("sampling the system at %d Hz with the %s backend", *hz, s.Backend())
	var queue *fleet.Queue
	if *pyroscope != "" {
		if queue, err = newQueue(*pyroscope); err != nil {
			log.Fatal(err)
		}
		defer flush(queue)
	}

	t := time.NewTicker(*every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-s.Done():
			return // deferred: the heap profile, then Close
		case <-t.C:
		}
		p, err := s.Collect()
		if err != nil {
			log.Fatal(err)
		}
		if *out != "" {
			if err := write(filepath.Join(*out, fmt.Sprintf("cpu-%04d.pb.gz", n)), p); err != nil {
				log.Fatal(err)
			}
		}
		if queue != nil {
			push(queue, p)
			limit(queue.Stats().QueuedBytes)
		}
		log.Printf("profile %d: %d samples, %d lost, %d stacks; agent RSS %s (%s), %d open files",
			n, p.Total(), p.Lost, len(p.Samples), status("VmRSS"), heapStats(), openFiles())
		if p.Lost > 0 {
			log.Printf("profile %d: lost %s", n, lostCauses(p))
		}
		if *release {
			// The profile, its pprof encoding and their garbage are
			// dead now: give their pages back rather than keep them
			// until the next collection. Without this, RSS follows
			// the collector's sawtooth, and bench/record-soak's
			// readings between collections varied by ±15%.
			debug.FreeOSMemory()
		}
	}
}

// newQueue returns a queue that pushes to the Pyroscope at url, holding up
// to its default bound (4096 profiles, 32 MiB) while it is down.
func newQueue(url string) (*fleet.Queue, error) {
	client, err := fleet.NewPyroscope(url, fleet.PyroscopeOptions{})
	if err != nil {
		return nil, err
	}
	return fleet.NewQueue(client, fleet.QueueOptions{})
}

// push splits p per service (named after each executable) and queues it.
func push(q *fleet.Queue, p *profile.Profile) {
	host, _ := os.Hostname()
	batches, err := fleet.Split(p, fleet.SplitOptions{Hostname: host})
	if err != nil {
		log.Print(err)
		return
	}
	for _, b := range batches {
		if err := q.Put(b); err != nil {
			log.Print(err)
		}
	}
	log.Printf("pyroscope: %d services queued; %s", len(batches), q.Stats())
}

// flush pushes what the queue holds, for at most 10 seconds.
func flush(q *fleet.Queue) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		log.Print(err)
	}
	log.Printf("pyroscope: %s", q.Stats())
}

// lostCauses says why a profile's samples were lost: full maps of the BPF
// backend (more distinct stacks in a second than they hold), full ring
// buffers of the perf backend (a reader that fell behind).
func lostCauses(p *profile.Profile) string {
	var causes []string
	for _, c := range []string{profile.FailureCountsFull, profile.FailureCountsError, profile.FailureRingFull} {
		if n := p.Failures[c]; n > 0 {
			causes = append(causes, fmt.Sprintf("%d %s", n, c))
		}
	}
	return strings.Join(causes, ", ")
}

func write(path string, p *profile.Profile) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := p.WritePprof(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeHeap(path string) {
	f, err := os.Create(path)
	if err != nil {
		log.Print(err)
		return
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		log.Print(err)
	}
}

// heapStats says where the Go heap's memory is: live after the last
// collection, in spans in use, and free but not yet returned to the system.
func heapStats() string {
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(samples)
	mib := func(i int) float64 { return float64(samples[i].Value.Uint64()) / (1 << 20) }
	return fmt.Sprintf("Go heap: %.1f MiB live, %.1f MiB objects, %.1f MiB unused in spans, %.1f MiB free not returned",
		mib(0), mib(1), mib(2), mib(3))
}

// status returns a field of /proc/self/status, such as "VmRSS".
func status(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err.Error()
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func openFiles() int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		log.Print(err)
	}
	return len(fds)
}
