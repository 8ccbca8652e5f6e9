// Package fleet sends a continuous profiler's profiles to Grafana Pyroscope
// (or another OTLP profiles backend) without losing them when it is down, as `flamekit agent` does and as an
// agent that embeds flamekit can.
//
// [Split] cuts a [profile.Profile] of the whole system into one [Batch] per
// service: a gzipped pprof of that service's samples, named on the host, with
// the labels Pyroscope groups by (service_name, hostname, the container or
// cgroup, and any of the caller's). [Pyroscope] pushes batches with
// Pyroscope's own API types (push.v1 PusherService over Connect); [OTLP]
// pushes them as OpenTelemetry profiles (OTLP/HTTP, profiles
// v1development, with the generated types of the
// go.opentelemetry.io/proto/slim/otlp modules at v0.3.0), as Pyroscope
// ingests them: see [ExportRequest]. A [Queue]
// holds them in a bounded memory queue, optionally spooled to a directory so
// a restart keeps them, retries a backend that refuses or stalls with
// exponential backoff, drops the oldest only when its bound is reached, and
// counts (and logs) what was pushed, failed, retried and dropped: see
// [Stats]. [Queue.Close] flushes what it holds within a deadline.
//
// Without a backend, [Rotator] keeps pprof files in a directory, bounded in
// count and size.
package fleet
