package fleet

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	collectorpb "go.opentelemetry.io/proto/slim/otlp/collector/profiles/v1development"
	"google.golang.org/protobuf/proto"
)

// OTLPPath is the path of the OTLP/HTTP profiles export (signal
// profiles/v1development) that [NewOTLP] appends to a URL without one:
// the route Pyroscope serves on its HTTP port, as the OpenTelemetry
// Collector's OTLP receiver does.
const OTLPPath = "/v1development/profiles"

// OTLP pushes batches as OpenTelemetry profiles (OTLP profiles
// v1development, v0.3.0 of its Go modules) in one protobuf POST per push:
// see [ExportRequest] for what a batch becomes.
type OTLP struct {
	client   *http.Client
	endpoint string
	tenant   string
}

// OTLPOptions configures an [OTLP] client.
type OTLPOptions struct {
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// TenantID, when set, is sent as X-Scope-OrgID (a multi-tenant
	// Pyroscope).
	TenantID string
}

// NewOTLP returns a client that POSTs to rawURL, or to rawURL +
// [OTLPPath] when rawURL has no path (such as "http://localhost:4040").
func NewOTLP(rawURL string, opts OTLPOptions) (*OTLP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fleet: OTLP URL %q: want http:// or https:// and a host", rawURL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = OTLPPath
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return &OTLP{client: hc, endpoint: u.String(), tenant: opts.TenantID}, nil
}

// Endpoint returns the URL the client POSTs to.
func (o *OTLP) Endpoint() string { return o.endpoint }

// PartialError is the error of a push whose answer was an OTLP
// partial_success that rejected some profiles: it wraps [ErrRejected],
// and a [Queue] counts Rejected of the batches as rejected and the others
// as pushed.
type PartialError struct {
	Rejected int    // profiles the backend rejected
	Sent     int    // profiles in the request
	Message  string // the backend's error_message
}

// Error says how many profiles were rejected and why.
func (e *PartialError) Error() string {
	return fmt.Sprintf("%v: %d of %d profiles (partial success): %s", ErrRejected, e.Rejected, e.Sent, e.Message)
}

// Unwrap returns ErrRejected.
func (e *PartialError) Unwrap() error { return ErrRejected }

// Push sends batches in one gzipped OTLP protobuf request. An answer
// other than 2xx is an error, one wrapping [ErrRejected] for 400, 413, 415
// and 422 (a request the backend will not take however often it is sent);
// a 2xx answer whose partial_success rejected profiles is a
// [*PartialError]. A batch whose pprof does not parse is not sent, and
// counts as rejected in the PartialError of a push of the others.
func (o *OTLP) Push(ctx context.Context, batches []*Batch) error {
	req, bad := exportRequest(batches)
	if len(bad) == 0 {
		return o.send(ctx, req, len(batches))
	}
	if len(bad) == len(batches) {
		return fmt.Errorf("%w: %s", ErrRejected, joinErrors(bad))
	}
	err := o.send(ctx, req, len(batches)-len(bad))
	var partial *PartialError
	switch {
	case err == nil:
		return &PartialError{Rejected: len(bad), Sent: len(batches), Message: joinErrors(bad)}
	case errors.As(err, &partial):
		return &PartialError{Rejected: len(bad) + partial.Rejected, Sent: len(batches), Message: joinErrors(append(bad, errors.New(partial.Message)))}
	case errors.Is(err, ErrRejected):
		return fmt.Errorf("%w; and %s", err, joinErrors(bad))
	}
	return err // retried, the bad batches with the others
}

// joinErrors returns the errors' messages on one line.
func joinErrors(errs []error) string {
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// gzipWriters keeps gzip writers between pushes: each new one would
// allocate its ~800 KiB of compressor state.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	return zw
}}

// send POSTs req, of n profiles.
func (o *OTLP) send(ctx context.Context, req *collectorpb.ExportProfilesServiceRequest, n int) error {
	body, err := proto.Marshal(req)
	if err != nil {
		return fmt.Errorf("%w: encoding the OTLP request: %w", ErrRejected, err)
	}
	var gz bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&gz)
	zw.Write(body) // a bytes.Buffer does not fail
	zw.Close()
	gzipWriters.Put(zw)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, o.endpoint, &gz)
	if err != nil {
		return fmt.Errorf("fleet: OTLP push to %s: %w", o.endpoint, err)
	}
	hreq.Header.Set("Content-Type", "application/x-protobuf")
	hreq.Header.Set("Content-Encoding", "gzip")
	if o.tenant != "" {
		hreq.Header.Set("X-Scope-OrgID", o.tenant)
	}
	resp, err := o.client.Do(hreq)
	if err != nil {
		return fmt.Errorf("fleet: OTLP push to %s: %w", o.endpoint, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := strings.TrimSpace(string(answer))
		switch resp.StatusCode {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
			return fmt.Errorf("%w by %s: %s: %s", ErrRejected, o.endpoint, resp.Status, msg)
		}
		return fmt.Errorf("fleet: OTLP push to %s: %s: %s", o.endpoint, resp.Status, msg)
	}
	// The profiles were taken (2xx): an answer cut short or that is not
	// the protobuf response does not make them worth sending again.
	var out collectorpb.ExportProfilesServiceResponse
	if err != nil || proto.Unmarshal(answer, &out) != nil {
		return nil
	}
	if ps := out.GetPartialSuccess(); ps.GetRejectedProfiles() > 0 {
		return &PartialError{Rejected: int(min(ps.GetRejectedProfiles(), int64(n))), Sent: n, Message: ps.GetErrorMessage()}
	}
	return nil
}
