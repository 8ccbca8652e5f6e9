package fleet

import "errors"

// ErrRejected wraps a push error the backend will answer the same way
// whatever the retries (a profile or labels it refuses): the batches are
// dropped and counted in Stats.Rejected.
var ErrRejected = errors.New("fleet: push rejected")

// ErrClosed is returned by [Queue.Put] after [Queue.Close].
var ErrClosed = errors.New("fleet: queue closed")
