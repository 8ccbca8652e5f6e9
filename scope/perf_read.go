package scope

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// perfChunkSize is the size of the chunks of input the goroutines of
// readPerf parse: a few of them are in memory at a time.
const perfChunkSize = 1 << 18

// readPerf reads the samples of r, parsing chunks of it as pass asks in as
// many goroutines as there are CPUs (8 at most), and gives the parsed
// chunks to sink in the order of the input.
func readPerf(r io.Reader, pass *perfPass, sink func(*perfChunk)) error {
	workers := max(1, min(runtime.GOMAXPROCS(0), 8))
	jobs := make(chan *perfChunk, workers)
	results := make(chan *perfChunk, workers)
	free := make(chan []byte, 2*workers+2) // parsed chunks' buffers, for the next ones
	stop := make(chan struct{})
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1 + workers)
	go func() {
		defer wg.Done()
		defer close(jobs)
		readErr = splitPerf(r, jobs, free, stop)
	}()
	var parsers sync.WaitGroup
	parsers.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			defer parsers.Done()
			for c := range jobs {
				buf := c.data
				c.parse(pass)
				select {
				case free <- buf[:cap(buf)]:
				default:
				}
				results <- c
			}
		}()
	}
	go func() {
		parsers.Wait()
		close(results)
	}()
	pending := map[int]*perfChunk{}
	next, lines := 0, 0
	var err error
	for c := range results {
		if err != nil {
			continue // drain
		}
		pending[c.seq] = c
		for c := pending[next]; c != nil; c = pending[next] {
			delete(pending, next)
			next++
			if c.err != nil {
				err = fmt.Errorf("%w: line %d: %s", c.err, lines+c.lines, c.errMsg)
				close(stop)
				break
			}
			lines += c.lines
			sink(c)
		}
	}
	wg.Wait()
	if err == nil && readErr != nil {
		err = fmt.Errorf("scope: perf script: %w", readErr)
	}
	return err
}

// splitPerf reads r in chunks cut before header lines and sends them to
// jobs, until r ends or stop is closed. It takes the buffers of the chunks
// from free when there are some.
func splitPerf(r io.Reader, jobs chan<- *perfChunk, free chan []byte, stop <-chan struct{}) error {
	var carry []byte
	for seq := 0; ; {
		var buf []byte
		select {
		case buf = <-free:
		default:
		}
		if len(buf) < max(perfChunkSize, 2*len(carry)) {
			buf = make([]byte, max(perfChunkSize, 2*len(carry)))
		}
		n := copy(buf, carry)
		m, err := fill(r, buf[n:])
		n += m
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			return err
		}
		cut := n
		if !eof {
			if cut = cutPoint(buf[:n]); cut == 0 {
				carry = buf[:n] // one sample longer than buf: read on
				continue
			}
		}
		carry = append([]byte(nil), buf[cut:n]...)
		select {
		case jobs <- &perfChunk{seq: seq, data: buf[:cut]}:
			seq++
		case <-stop:
			return nil
		}
		if eof {
			return nil
		}
	}
}

// fill reads r into buf until buf is full or r fails; io.EOF when r ends.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
