package profile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flamekit/flamekit/profile/internal/bpfsampler"
	"github.com/flamekit/flamekit/profile/internal/perfsampler"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// Backend names a way of sampling.
type Backend uint8

// The backends.
const (
	// BackendAuto uses BPF when it is allowed, else the perf ring buffer.
	BackendAuto Backend = iota
	// BackendBPF samples with an eBPF program that aggregates stacks in the
	// kernel. It needs root (or CAP_BPF and CAP_PERFMON).
	BackendBPF
	// BackendPerf reads samples from perf ring buffers in user space. With
	// kernel.perf_event_paranoid ≤ 2 a process may profile its own user
	// stacks (and its children's) without privilege.
	BackendPerf
)

// String returns "auto", "bpf" or "perf".
func (b Backend) String() string {
	switch b {
	case BackendBPF:
		return "bpf"
	case BackendPerf:
		return "perf"
	}
	return "auto"
}

// ParseBackend parses "auto", "bpf" or "perf".
func ParseBackend(s string) (Backend, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return BackendAuto, nil
	case "bpf", "ebpf":
		return BackendBPF, nil
	case "perf":
		return BackendPerf, nil
	}
	return BackendAuto, fmt.Errorf("profile: %w: unknown backend %q (want auto, bpf or perf)", ErrNotSupported, s)
}

// start starts backend b on cfg.
func (b Backend) start(cfg sampler.Config) (sampler.Sampler, error) {
	// A failed start returns a nil interface, not a nil *Sampler in one.
	if b == BackendBPF {
		s, err := bpfsampler.Start(cfg)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := perfsampler.Start(cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// startSampler starts the backend the options ask for, and the command.
// Auto tries BPF, then perf if BPF was refused (ErrPermission) or is not
// supported (ErrNotSupported); the error then says what each refused.
func (s *Session) startSampler() error {
	try := []Backend{s.opts.Backend}
	if s.opts.Backend == BackendAuto {
		try = []Backend{BackendBPF, BackendPerf}
	}
	// Each attempt starts from the options alone: a command's attempt
	// names its target in s.cfg (the BPF backend a cgroup, the perf
	// backend the command's PID).
	base := s.cfg
	failed := &backendsError{}
	for _, b := range try {
		s.cfg = base
		var err error
		if s.opts.Command != nil {
			s.cmd, err = startCommand(s.opts.Command, b, &s.cfg, s.log, func() (sampler.Sampler, error) { return b.start(s.cfg) })
			if err == nil {
				s.s, s.backend = s.cmd.sampler, b
				go s.waitCommand()
				return nil
			}
		} else if s.s, err = b.start(s.cfg); err == nil {
			s.backend = b
			return nil
		}
		s.log.Debug("profile: backend failed", "backend", b, "err", err)
		failed.backends, failed.errs = append(failed.backends, b), append(failed.errs, err)
		if !errors.Is(err, ErrPermission) && !errors.Is(err, ErrNotSupported) {
			break
		}
	}
	s.cfg = base
	return failed
}
