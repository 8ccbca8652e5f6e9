package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/flamekit/flamekit/fleet"
)

// agentFlags is agent's command line.
type agentFlags struct {
	pyroscope     string
	otlp          string
	tenant        string
	every         time.Duration
	freq          uint64
	labels        map[string]string
	serviceName   string
	out           string
	outMaxFiles   int
	outMaxBytes   int64
	queueMax      int
	queueMaxBytes int64
	maxBackoff    time.Duration
	flushTimeout  time.Duration
	metricsAddr   string
	backend       string
	total         time.Duration
	hostname      string
	offCPU        bool
	memoryLimit   int64
}

// parseAgentFlags parses agent's command line: --pyroscope, --otlp, --out,
// or any of them together.
func parseAgentFlags(args []string, stderr io.Writer) (*agentFlags, error) {
	fs := newFlagSet("agent", "--pyroscope URL and/or --otlp URL [--every 15s] [-F 19|99] [--labels k=v,...] [--service-name NAME] [--out DIR] [--off-cpu] | --out DIR [--off-cpu]", stderr)
	f := &agentFlags{}
	var labels string
	fs.StringVar(&f.pyroscope, "pyroscope", "", "push to the Grafana Pyroscope server at `URL` (http://HOST:4040)")
	fs.StringVar(&f.otlp, "otlp", "", "push OpenTelemetry profiles (OTLP/HTTP protobuf, profiles v1development) to `URL`: to URL"+fleet.OTLPPath+
		" when URL has no path (Pyroscope's route: http://HOST:4040), else to URL as given; with or without --pyroscope")
	fs.StringVar(&f.tenant, "tenant-id", "", "send this X-Scope-OrgID to a multi-tenant Pyroscope")
	fs.DurationVar(&f.every, "every", 15*time.Second, "collect and push a profile per service this often")
	fs.Uint64Var(&f.freq, "F", 99, "sampling frequency in Hz")
	fs.StringVar(&labels, "labels", "", "labels added to every profile: `k=v,...`")
	fs.StringVar(&f.serviceName, "service-name", "", "push every process's samples as this one service_name (default: one service per executable, named after it)")
	fs.StringVar(&f.hostname, "hostname", "", "the hostname label (default: the machine's hostname)")
	fs.StringVar(&f.out, "out", "", "with --pyroscope: spool its queue to `DIR` (kept across restarts), with --otlp: its queue to DIR/otlp; alone: write rotated pprof files there")
	fs.IntVar(&f.outMaxFiles, "out-max-files", 240, "--out alone: keep at most this many files")
	fs.Int64Var(&f.outMaxBytes, "out-max-bytes", 256<<20, "--out alone: keep at most this many bytes of files")
	fs.IntVar(&f.queueMax, "queue-max", 4096, "hold at most this many profiles (per backend) while the backend is down or slow; beyond it the oldest are dropped (counted and logged)")
	fs.Int64Var(&f.queueMaxBytes, "queue-max-bytes", 32<<20, "hold at most this many bytes of profiles")
	fs.DurationVar(&f.maxBackoff, "max-backoff", 30*time.Second, "longest wait between retries of a failed push (it doubles from 1s)")
	fs.DurationVar(&f.flushTimeout, "flush-timeout", 10*time.Second, "on SIGTERM or Ctrl-C, push what is held for at most this long")
	fs.Int64Var(&f.memoryLimit, "memory-limit", defaultAgentMemoryLimit, "soft limit, in bytes, on the agent's Go memory beyond the profiles its queues hold: the garbage collector works harder rather than go past it (0: none; the GOMEMLIMIT environment variable wins)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve the agent's counts in Prometheus' format at http://`ADDR`/metrics")
	fs.BoolVar(&f.offCPU, "off-cpu", false, "also record where threads block (off-CPU time), pushed as the profile off_cpu beside process_cpu (off-cpu/microseconds to --pyroscope, off_cpu/nanoseconds over --otlp)")
	fs.StringVar(&f.backend, "backend", "bpf", "sampling backend: bpf (system-wide, as root), perf or auto")
	fs.DurationVar(&f.total, "for", 0, "stop after this long (0: until SIGTERM or Ctrl-C)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%w: unexpected %q", errUsage, rest[0])
	}
	if f.pyroscope == "" && f.otlp == "" && f.out == "" {
		return nil, fmt.Errorf("%w: --pyroscope URL, --otlp URL or --out DIR is needed", errUsage)
	}
	if f.every <= 0 {
		return nil, fmt.Errorf("%w: --every %v: want a positive duration", errUsage, f.every)
	}
	if f.labels, err = parseLabels(labels); err != nil {
		return nil, err
	}
	return f, nil
}

// labelNamePattern is what Pyroscope (as Prometheus) accepts as a label name.
var labelNamePattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// parseLabels parses "k=v,k2=v2". The labels the agent sets itself may not
// be given.
func parseLabels(s string) (map[string]string, error) {
	labels := map[string]string{}
	if s == "" {
		return labels, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("%w: --labels %q: want k=v", errUsage, kv)
		}
		if !labelNamePattern.MatchString(k) || strings.HasPrefix(k, "__") {
			return nil, fmt.Errorf("%w: --labels: %q is not a label name (letters, digits and _, not starting with a digit or __)", errUsage, k)
		}
		switch k {
		case fleet.LabelServiceName, fleet.LabelHostname:
			return nil, fmt.Errorf("%w: --labels: %s is set by --service-name or --hostname", errUsage, k)
		}
		labels[k] = v
	}
	return labels, nil
}
