package profile

import (
	"sync"

	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/symbolize"
)

// unwindQueue hands the unwind registry the snapshots taken and the
// processes gone, in order, from a goroutine of its own: the first
// process of an executable builds its table (node's takes 90 ms), which
// must not hold up the backend's announcements of other new processes.
type unwindQueue struct {
	r     *unwind.Registry
	mu    sync.Mutex
	ops   []unwindOp
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	onErr func(pid int, err error)
}

// unwindOp is one change: a snapshot to add, or a pid to remove.
type unwindOp struct {
	snap *symbolize.Process // nil: remove pid
	pid  int
}

func newUnwindQueue(r *unwind.Registry, onErr func(pid int, err error)) *unwindQueue {
	q := &unwindQueue{r: r, onErr: onErr, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

// add queues the mappings of a snapshot just taken or updated.
func (q *unwindQueue) add(snap *symbolize.Process) { q.push(unwindOp{snap: snap, pid: snap.PID}) }

// remove queues the end of process pid.
func (q *unwindQueue) remove(pid int) { q.push(unwindOp{pid: pid}) }

func (q *unwindQueue) push(op unwindOp) {
	q.mu.Lock()
	q.ops = append(q.ops, op)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close ends the goroutine, dropping what is queued. It may be called more
// than once.
func (q *unwindQueue) close() {
	q.once.Do(func() { close(q.stop) })
	<-q.done
}

func (q *unwindQueue) run() {
	defer close(q.done)
	for {
		select {
		case <-q.stop:
			return
		case <-q.wake:
		}
		for {
			q.mu.Lock()
			ops := q.ops
			q.ops = nil
			q.mu.Unlock()
			if len(ops) == 0 {
				break
			}
			for _, op := range ops {
				select {
				case <-q.stop:
					return
				default:
				}
				q.apply(op)
			}
		}
	}
}

// apply makes one change. The files of a snapshot closed meanwhile (its
// process gone for two collections) read nothing: its tables are not
// built, and the process is removed right after anyway.
func (q *unwindQueue) apply(op unwindOp) {
	if op.snap == nil {
		q.r.RemoveProcess(uint32(op.pid))
		return
	}
	if _, err := q.r.AddProcess(uint32(op.pid), unwindObjects(op.snap)); err != nil {
		q.onErr(op.pid, err)
	}
}
