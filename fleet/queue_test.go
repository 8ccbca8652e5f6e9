package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// testBatches returns n small batches with distinct ids.
func testBatches(n int) []*Batch {
	bs := make([]*Batch, n)
	for i := range bs {
		bs[i] = &Batch{ID: fmt.Sprintf("batch-%d", i), Labels: map[string]string{LabelServiceName: "svc", LabelName: "process_cpu"},
			Pprof: []byte(fmt.Sprintf("pprof %d", i)), Start: time.Now()}
	}
	return bs
}

func idsOf(bs []*Batch) []string {
	var ids []string
	for _, b := range bs {
		ids = append(ids, b.ID)
	}
	return ids
}

func newTestQueue(t *testing.T, f *fakePyroscope, opts QueueOptions) *Queue {
	t.Helper()
	p, err := NewPyroscope(f.url, PyroscopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff, opts.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	}
	q, err := NewQueue(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) })
	return q
}

// While the backend refuses, then stalls, the queue keeps the profiles,
// retries with a backoff and logs each failure with the backend's answer;
// once it recovers every profile arrives, once and in order, and nothing is
// dropped. The same for both pushers: Pyroscope's push API and OTLP.
func TestQueueRetriesUntilTheBackendRecovers(t *testing.T) {
	for _, c := range []struct {
		name    string
		queue   func(*testing.T, *fakePyroscope, QueueOptions) *Queue
		batches func(*testing.T, int) []*Batch
		why     []string // what the log says of the failures (one of)
	}{
		{"pyroscope", newTestQueue, func(_ *testing.T, n int) []*Batch { return testBatches(n) }, []string{"Unavailable", "unavailable"}},
		{"otlp", newOTLPQueue, otlpTestBatches, []string{"503 Service Unavailable"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakePyroscope(t)
			f.set(refuse)
			log, logText := testLogger()
			q := c.queue(t, f, QueueOptions{PushTimeout: 100 * time.Millisecond, MaxPerPush: 2, Logger: log})
			bs := c.batches(t, 5)
			for _, b := range bs {
				if err := q.Put(b); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "three refused pushes", func() bool { return q.Stats().Failed >= 3 })
			f.set(stall)
			stalledFrom := q.Stats().Failed
			waitFor(t, "two stalled pushes to time out", func() bool { return q.Stats().Failed >= stalledFrom+2 })
			if len(f.ids()) != 0 {
				t.Fatalf("the backend accepted %v while refusing", f.ids())
			}
			f.set(accept)
			waitFor(t, "every profile pushed", func() bool { return q.Stats().Pushed == 5 })
			if got, want := f.ids(), idsOf(bs); !slices.Equal(got, want) {
				t.Errorf("the backend got %v, want %v (each once, in order)", got, want)
			}
			s := q.Stats()
			if s.Dropped != 0 || s.Rejected != 0 || s.Queued != 0 || s.Retried < s.Failed {
				t.Errorf("stats %s: want nothing dropped, rejected or queued, every failure retried", s)
			}
			if n := countLines(logText.String(), "push failed"); uint64(n) != s.Failed {
				t.Errorf("%d failures logged, %d counted:\n%s", n, s.Failed, logText)
			}
			if !slices.ContainsFunc(c.why, func(w string) bool { return strings.Contains(logText.String(), w) }) {
				t.Errorf("the log does not say why the pushes failed (%q):\n%s", c.why, logText)
			}
		})
	}
}

// Past its bound the queue drops the oldest profiles, counts and logs each,
// and pushes the newest once the backend is back.
func TestQueueDropsTheOldestWhenFull(t *testing.T) {
	f := newFakePyroscope(t)
	f.set(refuse)
	log, logText := testLogger()
	q := newTestQueue(t, f, QueueOptions{MaxBatches: 3, MaxPerPush: 1, Logger: log})
	bs := testBatches(6)
	for _, b := range bs[:1] {
		q.Put(b)
	}
	// The first is being retried (held by the sender, not the queue).
	waitFor(t, "a refused push", func() bool { return q.Stats().Failed >= 1 })
	for _, b := range bs[1:] {
		q.Put(b)
	}
	s := q.Stats()
	if s.Dropped != 2 || s.Queued != 3 {
		t.Fatalf("stats %s: want 2 dropped, 3 queued", s)
	}
	if n := countLines(logText.String(), "queue full"); n != 2 {
		t.Errorf("%d drops logged, want 2:\n%s", n, logText)
	}
	f.set(accept)
	waitFor(t, "the kept profiles pushed", func() bool { return q.Stats().Pushed == 4 })
	want := []string{"batch-0", "batch-3", "batch-4", "batch-5"}
	if got := f.ids(); !slices.Equal(got, want) {
		t.Errorf("the backend got %v, want %v", got, want)
	}
}

// Close pushes what the queue holds when the backend comes back before the
// deadline, and otherwise drops it, counted, and says so.
func TestQueueCloseFlushesWithinTheDeadline(t *testing.T) {
	f := newFakePyroscope(t)
	f.set(refuse)
	q := newTestQueue(t, f, QueueOptions{})
	bs := testBatches(3)
	for _, b := range bs {
		q.Put(b)
	}
	waitFor(t, "a refused push", func() bool { return q.Stats().Failed >= 1 })
	time.AfterFunc(200*time.Millisecond, func() { f.set(accept) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := f.ids(); !slices.Equal(got, idsOf(bs)) {
		t.Errorf("the backend got %v, want %v", got, idsOf(bs))
	}
	if err := q.Put(bs[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v, want ErrClosed", err)
	}

	down := newFakePyroscope(t)
	down.set(stall)
	q = newTestQueue(t, down, QueueOptions{PushTimeout: time.Hour})
	for _, b := range testBatches(3) {
		q.Put(b)
	}
	waitFor(t, "a push under way", func() bool { return down.requests.Load() >= 1 })
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := q.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "3 profiles not pushed") {
		t.Errorf("Close with the backend stalled: %v, want 3 profiles not pushed", err)
	}
	if s := q.Stats(); s.Dropped != 3 {
		t.Errorf("stats %s: want 3 dropped", s)
	}
}

// A profile the backend refuses for good is dropped at once, counted as
// rejected, and not retried.
func TestQueueRejectedIsNotRetried(t *testing.T) {
	f := newFakePyroscope(t)
	f.set(reject)
	log, logText := testLogger()
	q := newTestQueue(t, f, QueueOptions{Logger: log})
	q.Put(testBatches(1)[0])
	waitFor(t, "the rejection", func() bool { return q.Stats().Rejected == 1 })
	time.Sleep(100 * time.Millisecond) // a retry would come after 20ms
	if n := f.requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if !strings.Contains(logText.String(), "push rejected") {
		t.Errorf("the rejection is not logged:\n%s", logText)
	}
}

// Profiles spooled by a queue that could not push them before its deadline
// are pushed by the next queue of the same directory, and their files go.
func TestQueueSpoolOutlivesARestart(t *testing.T) {
	dir := t.TempDir()
	down := newFakePyroscope(t)
	down.set(refuse)
	q := newTestQueue(t, down, QueueOptions{SpoolDir: dir})
	bs := testBatches(3)
	for _, b := range bs {
		if err := q.Put(b); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); err == nil || !strings.Contains(err.Error(), "left in "+dir) {
		t.Fatalf("Close: %v, want the profiles left in %s", err, dir)
	}
	if s := q.Stats(); s.Dropped != 0 {
		t.Errorf("stats %s: spooled profiles are not dropped", s)
	}
	if files, _ := os.ReadDir(dir); len(files) != 3 {
		t.Fatalf("%d files in the spool, want 3", len(files))
	}

	up := newFakePyroscope(t)
	q = newTestQueue(t, up, QueueOptions{SpoolDir: dir})
	waitFor(t, "the spooled profiles pushed", func() bool { return q.Stats().Pushed == 3 })
	if got := up.ids(); !slices.Equal(got, idsOf(bs)) {
		t.Errorf("the backend got %v, want %v", got, idsOf(bs))
	}
	up.mu.Lock()
	labels := up.accepted[0].Labels
	up.mu.Unlock()
	if len(labels) != 2 || labels[0].Name != LabelName || labels[1].Value != "svc" {
		t.Errorf("labels after the spool: %v", labels)
	}
	q.Close(context.Background())
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("%d files left in the spool after pushing", len(files))
	}
}
