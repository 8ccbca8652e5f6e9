package profile

import (
	"sync"
	"time"

	"github.com/flamekit/flamekit/symbolize"
)

// followDelays are when, after a process is first seen, its mappings are
// read again: an exec maps only the program and its loader, the loader maps
// the libraries in the next milliseconds, and runtimes (a JVM, Node) load
// more soon after. A process that exits early is then still named in its
// libraries.
var followDelays = []time.Duration{5 * time.Millisecond, 50 * time.Millisecond, 500 * time.Millisecond}

// follower updates the snapshots of new processes at followDelays after
// they were taken, from a goroutine of its own, and hands each snapshot it
// updated to updated.
type follower struct {
	updated func(*symbolize.Process)
	mu      sync.Mutex
	queue   []followUp
	wake    chan struct{} // a follow-up was added
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// followUp is a snapshot's next update: followDelays[step] after taken.
type followUp struct {
	snap  *symbolize.Process
	taken time.Time
	step  int
}

func (u followUp) due() time.Time { return u.taken.Add(followDelays[u.step]) }

func newFollower(updated func(*symbolize.Process)) *follower {
	f := &follower{updated: updated, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go f.run()
	return f
}

// add follows a snapshot just taken.
func (f *follower) add(snap *symbolize.Process) {
	f.mu.Lock()
	f.queue = append(f.queue, followUp{snap: snap, taken: time.Now()})
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// close ends the goroutine; later adds are never run. It may be called
// more than once.
func (f *follower) close() {
	f.once.Do(func() { close(f.stop) })
	<-f.done
}

func (f *follower) run() {
	defer close(f.done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		for _, u := range f.takeDue() {
			// An error means the process exited (or the snapshot was
			// closed): what was read last stays.
			if u.snap.Update() != nil {
				continue
			}
			f.updated(u.snap)
			if u.step+1 < len(followDelays) {
				u.step++
				f.mu.Lock()
				f.queue = append(f.queue, u)
				f.mu.Unlock()
			}
		}
		t.Reset(f.untilNext())
		select {
		case <-f.stop:
			return
		case <-f.wake:
		case <-t.C:
		}
	}
}

// takeDue removes and returns the follow-ups that are due.
func (f *follower) takeDue() []followUp {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	var due []followUp
	keep := f.queue[:0]
	for _, u := range f.queue {
		if u.due().After(now) {
			keep = append(keep, u)
		} else {
			due = append(due, u)
		}
	}
	clear(f.queue[len(keep):])
	f.queue = keep
	return due
}

// untilNext returns the time to the next follow-up (an hour when none).
func (f *follower) untilNext() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	next := time.Hour
	for _, u := range f.queue {
		next = min(next, time.Until(u.due()))
	}
	return max(next, 0)
}
