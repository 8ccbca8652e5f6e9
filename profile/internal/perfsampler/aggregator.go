package perfsampler

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// aggregator turns ring-buffer records into Samples. Between drains it
// keeps one Sample per distinct key (pid, tid when PerThread, user stack,
// kernel stack); in Timed mode it also keeps every sample, each with Count
// 1, its TID, CPU and Time, to place samples in time. It is not safe for
// concurrent use: the Sampler holds its lock.
type aggregator struct {
	cfg    sampler.Config
	unw    *unwinder // nil unless cfg.Unwind
	stacks map[string]*sampler.Sample
	timed  []sampler.Sample
	stats  sampler.Stats
	comms  map[uint32]string // command names of processes seen
	exited []uint32          // processes to forget after the next drain
	ended  []uint32          // processes to announce to OnProcessExit
	news   []uint32          // processes to announce to OnNewProcess
	key    []byte
	an     *sampler.Announcer // nil unless cfg.OnNewProcess
	// announced are the processes announced to OnNewProcess (true), or
	// announced and exec'd since (false): only sampled processes are
	// announced (at their first sample, and at their first sample after
	// an exec), so that the many a busy machine starts and never samples
	// cost nothing; their exits are announced too.
	announced map[uint32]bool
	// gone are the processes whose EXIT record was read since the last
	// take: a sample of one read after it (from another CPU's ring) does
	// not announce it.
	gone map[uint32]bool
}

func newAggregator(cfg sampler.Config) *aggregator {
	a := &aggregator{
		cfg:    cfg,
		stacks: map[string]*sampler.Sample{},
		stats:  sampler.Stats{Failures: map[string]uint64{}},
		comms:  map[uint32]string{},

		announced: map[uint32]bool{},
		gone:      map[uint32]bool{},
	}
	if cfg.OnNewProcess != nil {
		a.an = sampler.NewAnnouncer(cfg)
	}
	if unwinds(cfg) {
		a.unw = newUnwinder(cfg.Unwind)
	}
	return a
}

// add accounts for one record.
func (a *aggregator) add(r *perfevent.Record) {
	switch r.Type {
	case perfevent.RecordSample:
		a.sample(r)
	case perfevent.RecordLost, perfevent.RecordLostSamples:
		a.stats.Lost += r.Lost
		a.fail(sampler.FailureRingFull, r.Lost)
	case perfevent.RecordThrottle:
		a.fail(sampler.FailureThrottled, 1)
	case perfevent.RecordComm:
		if _, ok := a.announced[r.PID]; ok && r.Exec {
			a.announced[r.PID] = false // a new address space: announced again when sampled
		}
		if a.unw != nil && r.Exec {
			a.unw.execed(r.PID)
		}
		if r.Exec || r.PID == r.TID || a.comms[r.PID] == "" {
			a.comms[r.PID] = r.Comm
		}
	case perfevent.RecordFork:
		if r.PID != r.PPID {
			delete(a.gone, r.PID) // a new process with the pid of one gone
		}
		if _, ok := a.comms[r.PID]; !ok && r.PID != r.PPID {
			a.comms[r.PID] = a.comms[r.PPID] // a child starts with its parent's name
		}
	case perfevent.RecordExit:
		if r.PID == r.TID {
			a.gone[r.PID] = true
			a.exited = append(a.exited, r.PID)
			if _, ok := a.announced[r.PID]; ok {
				a.ended = append(a.ended, r.PID)
				delete(a.announced, r.PID)
			}
		}
	}
}

func (a *aggregator) sample(r *perfevent.Record) {
	if r.PID == 0 && !a.cfg.IncludeIdle {
		return
	}
	if a.cfg.CgroupID != 0 && r.Cgroup != a.cfg.CgroupID {
		return
	}
	a.note(r.PID)
	comm := a.comms[r.PID]
	if a.unw != nil && a.unw.park(r, comm, false, time.Now()) {
		return
	}
	a.keep(r, comm, false)
}

// block aggregates one block of off-CPU time: r is the context-switch
// sample of the thread as it left the CPU, with the time it ran again and,
// as its period, how long it was off the CPU.
func (a *aggregator) block(r *perfevent.Record) {
	a.note(r.PID)
	comm := a.comms[r.PID]
	if a.unw != nil && a.unw.park(r, comm, true, time.Now()) {
		return
	}
	a.keep(r, comm, true)
}

// settle keeps the samples the unwinder parked that it can walk now, or
// that waited long enough; all of them when all is set.
func (a *aggregator) settle(all bool) {
	if a.unw == nil {
		return
	}
	for _, p := range a.unw.settle(time.Now(), all) {
		a.keep(&p.rec, p.comm, p.offCPU)
	}
}

// keep aggregates a sample of the process named comm, or a block of
// off-CPU time.
func (a *aggregator) keep(r *perfevent.Record, comm string, offCPU bool) {
	kernel, user := perfevent.SplitCallchain(r.Callchain)
	if a.cfg.UserOnly {
		kernel = nil
	}
	if a.cfg.KernelOnly {
		user = nil
	}
	if a.unw != nil {
		user = a.unw.userStack(r, user, func(cause string) { a.fail(cause, 1) })
	}
	if a.cfg.Timed {
		a.timed = append(a.timed, sampler.Sample{PID: r.PID, TID: r.TID, Comm: comm,
			CPU: int32(r.CPU), Time: r.Time, User: a.own(user), Kernel: kernel, Count: 1, Value: r.Period, OffCPU: offCPU})
	}
	tid := uint32(0)
	if a.cfg.PerThread {
		tid = r.TID
	}
	k := binary.LittleEndian.AppendUint32(a.key[:0], r.PID)
	k = binary.LittleEndian.AppendUint32(k, tid)
	k = binary.LittleEndian.AppendUint32(k, uint32(len(user)))
	if offCPU {
		k = append(k, 1)
	}
	for _, pc := range user {
		k = binary.LittleEndian.AppendUint64(k, pc)
	}
	for _, pc := range kernel {
		k = binary.LittleEndian.AppendUint64(k, pc)
	}
	a.key = k
	rs := a.stacks[string(k)]
	if rs == nil {
		rs = &sampler.Sample{PID: r.PID, TID: tid, Comm: comm, CPU: -1, User: a.own(user), Kernel: kernel, OffCPU: offCPU}
		a.stacks[string(k)] = rs
	}
	rs.Count++
	rs.Value += r.Period
}

// own returns a user stack to keep: a copy of the unwinder's, which its
// next walk reuses; else the record's own.
func (a *aggregator) own(user []uint64) []uint64 {
	if a.unw == nil || user == nil {
		return user
	}
	return slices.Clone(user)
}

// note records a sampled process: the first time, it keeps its name when
// no COMM or FORK record told it (a process started before the sampler:
// read from /proc), and the first time since its exec, it queues it for
// OnNewProcess.
func (a *aggregator) note(pid uint32) {
	if _, ok := a.comms[pid]; !ok {
		a.comms[pid] = readComm(pid)
	}
	if pid != 0 && !a.announced[pid] && !a.gone[pid] {
		a.announced[pid] = true
		a.news = append(a.news, pid)
	}
}

// fail counts n failures of cause.
func (a *aggregator) fail(cause string, n uint64) {
	a.stats.Failures[cause] += n
}

// takeNew returns the processes to announce, new and ended, and forgets
// them.
func (a *aggregator) takeNew() processNews {
	n := processNews{started: a.news, ended: a.ended}
	a.news, a.ended = nil, nil
	return n
}

// processNews are the processes to announce: first seen, and exited.
type processNews struct{ started, ended []uint32 }

// announce hands the processes to announce to the Announcer, which calls
// OnNewProcess for those sampled in the previous batch that still run, and
// OnProcessExit; the Sampler calls it without its lock, every pollEvery.
func (a *aggregator) announce(n processNews) {
	if a.an != nil {
		a.an.Batch(n.started, n.ended)
	}
}

// take returns what was gathered since the last take and starts afresh.
func (a *aggregator) take() ([]sampler.Sample, sampler.Stats) {
	out := a.timed
	for _, rs := range a.stacks {
		out = append(out, *rs)
	}
	stats := a.stats
	a.timed, a.stacks = nil, map[string]*sampler.Sample{}
	a.stats = sampler.Stats{Failures: map[string]uint64{}}
	for _, pid := range a.exited {
		delete(a.comms, pid)
		delete(a.gone, pid)
		if a.unw != nil {
			a.unw.forget(pid)
		}
	}
	a.exited = nil
	return out, stats
}
