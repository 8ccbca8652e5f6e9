package fleet

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
)

// Pusher sends batches to a backend. An error wrapping [ErrRejected] means
// the backend refused them for good (retrying cannot help); any other
// error is worth retrying.
type Pusher interface {
	Push(ctx context.Context, batches []*Batch) error
}

// Pyroscope pushes batches to a Grafana Pyroscope server's
// push.v1.PusherService/Push, one series per batch.
type Pyroscope struct {
	client pushv1connect.PusherServiceClient
	url    string
}

// PyroscopeOptions configures a [Pyroscope] client.
type PyroscopeOptions struct {
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// TenantID, when set, is sent as X-Scope-OrgID (multi-tenant servers).
	TenantID string
}

// NewPyroscope returns a client of the Pyroscope server at url, such as
// "http://localhost:4040".
func NewPyroscope(url string, opts PyroscopeOptions) (*Pyroscope, error) {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("fleet: Pyroscope URL %q: want http:// or https://", url)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	var copts []connect.ClientOption
	if opts.TenantID != "" {
		copts = append(copts, connect.WithInterceptors(tenant(opts.TenantID)))
	}
	url = strings.TrimSuffix(url, "/")
	return &Pyroscope{client: pushv1connect.NewPusherServiceClient(hc, url, copts...), url: url}, nil
}

// tenant sets the X-Scope-OrgID header of every request.
func tenant(id string) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("X-Scope-OrgID", id)
			return next(ctx, req)
		}
	}
}

// PushRequest returns the request that pushes batches: one series per
// batch with its labels and its pprof as the one raw sample.
func PushRequest(batches []*Batch) *pushv1.PushRequest {
	req := &pushv1.PushRequest{Series: make([]*pushv1.RawProfileSeries, len(batches))}
	for i, b := range batches {
		req.Series[i] = &pushv1.RawProfileSeries{
			Labels:  b.labelPairs(),
			Samples: []*pushv1.RawSample{{RawProfile: b.Pprof, ID: b.ID}},
		}
	}
	return req
}

// Push sends batches in one request. Errors the server answers with
// InvalidArgument (a profile it cannot parse, labels it refuses) wrap
// [ErrRejected].
func (p *Pyroscope) Push(ctx context.Context, batches []*Batch) error {
	_, err := p.client.Push(ctx, connect.NewRequest(PushRequest(batches)))
	if err == nil {
		return nil
	}
	if connect.CodeOf(err) == connect.CodeInvalidArgument {
		return fmt.Errorf("%w by %s: %w", ErrRejected, p.url, err)
	}
	return fmt.Errorf("fleet: push to %s: %w", p.url, err)
}
