package profile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/flamekit/flamekit/symbolize"
)

// The durations of a Handler's recordings when HandlerOptions leave them
// unset.
const (
	DefaultHandlerDuration = 30 * time.Second
	DefaultHandlerMax      = 5 * time.Minute
)

// HandlerOptions tunes Handler. The zero value records the serving
// process through the perf backend for 30 seconds a request, at most 5
// minutes.
type HandlerOptions struct {
	// DefaultDuration is how long a request without seconds= records; 0
	// means DefaultHandlerDuration (or MaxDuration when that is shorter).
	DefaultDuration time.Duration
	// MaxDuration caps seconds=: a request for longer gets 400. 0 means
	// DefaultHandlerMax.
	MaxDuration time.Duration
	// AllowOtherTargets lets a request profile something else than the
	// serving process (pid=, cgroup=, system=true) and pick the backend
	// (backend=auto|bpf|perf), as far as the process's privileges allow.
	// Without it, those parameters get 403 and every request profiles the
	// serving process through the perf backend.
	AllowOtherTargets bool
	// Symbolizer names the addresses; shared between requests, it keeps
	// the symbol tables it read from one request to the next. nil means a
	// new one per request.
	Symbolizer *symbolize.Symbolizer
	// Logger receives the handler's and its sessions' debug messages; nil
	// means silence.
	Logger *slog.Logger
	// Formats are formats other packages provide, by their name in
	// format=: scope.HandlerFormats, for instance, adds scope's heat map
	// pages. A built-in name (svg, folded, pprof, perf-script) cannot be
	// given: Handler panics.
	Formats map[string]HandlerFormat
}

// Handler returns an http.Handler that records a profile for each GET
// request and answers with it: by default, a flame graph (SVG) of the
// serving process's CPU time over 30 seconds, its own threads with their
// user, kernel and cgo frames (kernel frames where
// kernel.perf_event_paranoid ≤ 1 or CAP_PERFMON allow them), through the
// perf backend, without root. It never registers itself: mount it where
// you like, beside net/http/pprof for instance:
//
//	mux.Handle("/debug/flamekit/profile", profile.Handler(profile.HandlerOptions{}))
//
// Query parameters (every one optional; a boolean alone, as in ?inverted,
// is true):
//
//   - seconds: how long to record, a positive number (decimals allowed),
//     at most HandlerOptions.MaxDuration;
//   - format: svg (the default), folded (stackcollapse text), pprof (a
//     gzipped protobuf for go tool pprof) or perf-script (`perf script`
//     text, in time order), or one of HandlerOptions.Formats, with its own
//     parameters: scope.HandlerFormats adds scope (FlameScope's sub-second
//     heat map page, with rows), latency (the off-CPU latency heat map
//     page, with step and by-func; mode=off-cpu is implied) and
//     latency-hist (bcc's histogram text, with by-func);
//   - event: the event to sample, as perf's -e names it (cpu-clock,
//     page-faults, ...); frequency (or hz): samples per second; period:
//     events per sample instead; inlines: name inlined functions too;
//     values: weigh stacks by the event's unit (nanoseconds of CPU for the
//     clocks) rather than by samples (svg and folded);
//   - the flame graph's options, named as flamegraph.pl names them: title,
//     subtitle, width, height, minwidth, fonttype, fontsize, countname,
//     nametype, colors (or color), bgcolors, hash, random, reverse,
//     inverted, sort-by-weight, max-depth;
//   - mode: cpu (the default), off-cpu (where threads block, in
//     microseconds; root, CAP_PERFMON or kernel.perf_event_paranoid ≤ 1)
//     or wall (both); with off-cpu and wall, min-block and max-block
//     (durations: 1ms), state (any, interruptible, uninterruptible) and
//     threads (all, user, kernel) pick the blocks, and wakeups (off-cpu,
//     BPF backend) adds the stacks of the threads that woke them. Stacks
//     of these modes are walked by frame pointers;
//   - with HandlerOptions.AllowOtherTargets only: pid (a comma-separated
//     list), cgroup, system and backend.
//
// A parameter of another format than the request's, or a flame graph
// parameter its format does not apply (HandlerFormat.GraphParams), gets
// 400; so does a mode= a provided format cannot show (HandlerFormat.Modes).
//
// It records one profile at a time: a request that comes while one is
// recorded gets 429 Too Many Requests, with a message and a Retry-After
// header. A request whose client goes away stops its recording at once.
// Every recording is closed before its request returns. A bad parameter
// gets 400 with a message naming it; a refusal of the kernel gets 403
// (ErrPermission, the message says what would allow it) or 501
// (ErrNotSupported); a pid= that does not exist, 404. A seconds= not shorter than the server's WriteTimeout
// gets 400, as the response could not be written. The response's
// X-Flamekit-Samples and X-Flamekit-Lost headers count the samples taken
// and lost.
func Handler(opts HandlerOptions) http.Handler {
	if opts.MaxDuration <= 0 {
		opts.MaxDuration = DefaultHandlerMax
	}
	if opts.DefaultDuration <= 0 {
		opts.DefaultDuration = min(DefaultHandlerDuration, opts.MaxDuration)
	}
	checkProvidedFormats(opts.Formats)
	h := &handler{opts: opts, log: opts.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// handler is what Handler returns.
type handler struct {
	opts HandlerOptions
	log  *slog.Logger

	mu   sync.Mutex
	busy bool      // a recording runs
	ends time.Time // when it should end
}

// ServeHTTP records a profile as the request's query asks and writes it.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		handlerError(w, http.StatusMethodNotAllowed, "profile: method %s not allowed: use GET", r.Method)
		return
	}
	req, err := parseHandlerQuery(r.URL.Query(), h.opts)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errTargetNotAllowed) {
			code = http.StatusForbidden
		}
		handlerError(w, code, "%v", err)
		return
	}
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.WriteTimeout > 0 && req.duration >= srv.WriteTimeout {
		handlerError(w, http.StatusBadRequest, "profile: seconds=%g is not shorter than the server's WriteTimeout (%v): the response could not be written", req.duration.Seconds(), srv.WriteTimeout)
		return
	}
	if wait, ok := h.acquire(req.duration); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		handlerError(w, http.StatusTooManyRequests, "profile: a profile is being recorded (for %v more): this handler records one at a time, try again later", wait.Round(time.Second))
		return
	}
	defer h.release()

	p, err := h.record(r.Context(), req)
	if err != nil {
		if r.Context().Err() != nil {
			h.log.Debug("profile: handler: the client went away; recording stopped", "err", err)
			return
		}
		handlerError(w, errorStatus(err), "%v", err)
		return
	}
	var body bytes.Buffer
	if err := req.write(&body, p); err != nil {
		handlerError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", req.contentType())
	hd.Set("Content-Disposition", req.disposition(p))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Flamekit-Samples", strconv.FormatUint(p.Total(), 10))
	hd.Set("X-Flamekit-Lost", strconv.FormatUint(p.Lost, 10))
	hd.Set("Content-Length", strconv.Itoa(body.Len()))
	if r.Method == http.MethodHead {
		return
	}
	if _, err := body.WriteTo(w); err != nil {
		h.log.Debug("profile: handler: writing the response", "err", err)
	}
}

// acquire takes the handler's one recording slot for a recording of d, or
// says how long the running one has left.
func (h *handler) acquire(d time.Duration) (time.Duration, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.busy {
		return max(time.Until(h.ends), 0), false
	}
	h.busy, h.ends = true, time.Now().Add(d)
	return 0, true
}

func (h *handler) release() {
	h.mu.Lock()
	h.busy = false
	h.mu.Unlock()
}

// record profiles what req asks for req.duration, or until ctx ends (the
// client went away): then it returns ctx's error. The session is closed
// before it returns.
func (h *handler) record(ctx context.Context, req handlerRequest) (*Profile, error) {
	opts := req.opts
	opts.Symbolizer, opts.Logger = h.opts.Symbolizer, h.opts.Logger
	s, err := Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	t := time.NewTimer(req.duration)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.Done(): // ctx ended
		return nil, fmt.Errorf("profile: recording stopped: %w", context.Cause(ctx))
	}
	return s.Stop()
}

// errorStatus is the HTTP status of an error of Start or Stop.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, ErrPermission):
		return http.StatusForbidden
	case errors.Is(err, ErrOptions):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotSupported):
		return http.StatusNotImplemented
	case errors.Is(err, ErrNoProcess):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// handlerError answers with code and a one-line text message.
func handlerError(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, format+"\n", args...)
}
