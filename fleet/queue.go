package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// QueueOptions bounds a [Queue] and sets its retries. Zero values take the
// defaults.
type QueueOptions struct {
	// MaxBatches and MaxBytes bound what the queue holds (besides the one
	// request being pushed): past either, the oldest batch is dropped.
	// Defaults: 4096 batches, 32 MiB.
	MaxBatches int
	MaxBytes   int64
	// MaxPerPush is the most batches sent in one request (default 64).
	MaxPerPush int
	// MinBackoff and MaxBackoff bound the wait before a failed push is
	// tried again, doubling from one to the other (defaults 1s and 30s).
	MinBackoff, MaxBackoff time.Duration
	// PushTimeout ends a push that stalls (default 15s); it then counts
	// as failed and is retried.
	PushTimeout time.Duration
	// SpoolDir, when set, keeps a file of each queued batch there until
	// it is pushed or dropped, so that batches a stopped agent could not
	// push are pushed by the next one ([NewQueue] queues them first).
	SpoolDir string
	// Logger receives every failure and drop; nil means slog.Default().
	Logger *slog.Logger
}

func (o *QueueOptions) defaults() {
	if o.MaxBatches <= 0 {
		o.MaxBatches = 4096
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 32 << 20
	}
	if o.MaxPerPush <= 0 {
		o.MaxPerPush = 64
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.PushTimeout <= 0 {
		o.PushTimeout = 15 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Queue pushes batches in the order they were put, one request at a time,
// holding them while the backend is down or slow. Its methods may be called
// from any goroutine.
type Queue struct {
	pusher Pusher
	opts   QueueOptions
	log    *slog.Logger
	spool  *spool

	mu     sync.Mutex
	items  []*Batch
	bytes  int64
	stats  Stats
	closed bool

	wake   chan struct{} // a batch was put, or the queue closed
	stop   chan struct{} // closed when Close's deadline passes
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the sender has returned
}

// NewQueue starts a queue that pushes with p. With opts.SpoolDir set, the
// batches spooled there by an earlier queue are queued first.
func NewQueue(p Pusher, opts QueueOptions) (*Queue, error) {
	opts.defaults()
	q := &Queue{pusher: p, opts: opts, log: opts.Logger,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	if opts.SpoolDir != "" {
		s, spooled, err := openSpool(opts.SpoolDir)
		if err != nil {
			return nil, err
		}
		q.spool = s
		if len(spooled) > 0 {
			q.log.Info("fleet: queued profiles spooled by an earlier run", "profiles", len(spooled), "dir", opts.SpoolDir)
		}
		for _, b := range spooled {
			q.add(b)
		}
	}
	go q.send()
	return q, nil
}

// Put queues b. When the queue is full, the oldest batches are dropped
// (counted in Stats.Dropped, and logged). It returns [ErrClosed] after
// Close, or the error of writing b to the spool. The queue keeps a copy of
// b, so the same batch may be put into the queues of several backends.
func (q *Queue) Put(b *Batch) error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return ErrClosed
	}
	c := *b // Labels and Pprof are only read: they may be shared
	c.spoolPath = ""
	b = &c
	if q.spool != nil {
		if err := q.spool.write(b); err != nil {
			return err
		}
	}
	q.add(b)
	return nil
}

// add queues b, dropping the oldest batches beyond the bounds.
func (q *Queue) add(b *Batch) {
	q.mu.Lock()
	q.items = append(q.items, b)
	q.bytes += b.size()
	var dropped []*Batch
	for len(q.items) > q.opts.MaxBatches || q.bytes > q.opts.MaxBytes && len(q.items) > 0 {
		d := q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		q.bytes -= d.size()
		dropped = append(dropped, d)
	}
	q.stats.Dropped += uint64(len(dropped))
	total := q.stats.Dropped
	q.mu.Unlock()
	for _, d := range dropped {
		q.log.Warn("fleet: queue full, dropped the oldest profile", "service", d.Service(), "start", d.Start.Format(time.RFC3339),
			"max_profiles", q.opts.MaxBatches, "max_bytes", q.opts.MaxBytes, "dropped_total", total)
		q.unspool(d)
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take waits for batches to push and removes up to MaxPerPush of them from
// the queue. It returns nil when the queue is closed and empty, or stopped.
func (q *Queue) take() []*Batch {
	for {
		q.mu.Lock()
		if n := min(len(q.items), q.opts.MaxPerPush); n > 0 {
			out := make([]*Batch, n)
			copy(out, q.items)
			clear(q.items[:n])
			q.items = q.items[n:]
			for _, b := range out {
				q.bytes -= b.size()
			}
			q.mu.Unlock()
			return out
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil
		}
		select {
		case <-q.wake:
		case <-q.stop:
			return nil
		}
	}
}

// send pushes what is queued until the queue is closed and empty, or
// stopped, retrying failures with backoff.
func (q *Queue) send() {
	defer close(q.done)
	backoff := q.opts.MinBackoff
	var batches []*Batch
	attempt := 0
	for {
		if batches == nil {
			if batches = q.take(); batches == nil {
				return
			}
			attempt = 0
		}
		attempt++
		if attempt > 1 {
			q.count(func(s *Stats) { s.Retried++ })
		}
		ctx, cancel := context.WithTimeout(q.ctx, q.opts.PushTimeout)
		err := q.pusher.Push(ctx, batches)
		cancel()
		switch {
		case err == nil:
			q.delivered(batches)
			batches, backoff = nil, q.opts.MinBackoff
			continue
		case errors.Is(err, ErrRejected):
			// A partial success took the others (which, it does not say).
			rejected := len(batches)
			var partial *PartialError
			if errors.As(err, &partial) {
				rejected = partial.Rejected
			}
			q.count(func(s *Stats) {
				s.Failed++
				s.Rejected += uint64(rejected)
				s.Pushed += uint64(len(batches) - rejected)
			})
			q.log.Error("fleet: push rejected, profiles dropped", "profiles", rejected, "sent", len(batches), "err", err)
			for _, b := range batches {
				q.unspool(b)
			}
			batches = nil
			continue
		}
		q.count(func(s *Stats) { s.Failed++ })
		q.log.Warn("fleet: push failed, will retry", "profiles", len(batches), "attempt", attempt, "retry_in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-q.stop:
			q.requeue(batches)
			return
		}
		backoff = min(2*backoff, q.opts.MaxBackoff)
	}
}

// requeue puts batches back at the head of the queue.
func (q *Queue) requeue(batches []*Batch) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, b := range batches {
		q.bytes += b.size()
	}
	q.items = append(batches, q.items...)
}

func (q *Queue) delivered(batches []*Batch) {
	var n int64
	for _, b := range batches {
		n += int64(len(b.Pprof))
		q.unspool(b)
	}
	q.count(func(s *Stats) { s.Pushed += uint64(len(batches)); s.PushedBytes += uint64(n) })
}

func (q *Queue) unspool(b *Batch) {
	if q.spool == nil {
		return
	}
	if err := q.spool.remove(b); err != nil {
		q.log.Warn("fleet: spool", "err", err)
	}
}

func (q *Queue) count(f func(*Stats)) {
	q.mu.Lock()
	f(&q.stats)
	q.mu.Unlock()
}

// Stats returns the queue's counts so far.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Queued, s.QueuedBytes = len(q.items), q.bytes
	return s
}

// Close stops taking batches and pushes what the queue holds until it is
// empty or ctx is done. What is left then is dropped and counted (or, with
// a spool, left there for the next queue), and Close returns an error
// saying how many.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	already := q.closed
	q.closed = true
	q.mu.Unlock()
	if already {
		<-q.done
		return nil
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	select {
	case <-q.done:
		q.cancel()
		return nil
	case <-ctx.Done():
	}
	close(q.stop)
	q.cancel() // ends a push under way
	<-q.done
	q.mu.Lock()
	left := len(q.items)
	if q.spool == nil {
		q.stats.Dropped += uint64(left)
		q.items, q.bytes = nil, 0
	}
	q.mu.Unlock()
	if q.spool != nil {
		q.log.Warn("fleet: profiles not pushed before the deadline are left in the spool for the next run", "profiles", left, "dir", q.opts.SpoolDir)
		return fmt.Errorf("fleet: %d profiles not pushed before the deadline (left in %s): %w", left, q.opts.SpoolDir, ctx.Err())
	}
	q.log.Error("fleet: profiles not pushed before the deadline were dropped", "profiles", left)
	return fmt.Errorf("fleet: %d profiles not pushed before the deadline, dropped: %w", left, ctx.Err())
}
