package symbolize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// errDebuginfodNotFound is returned when no debuginfod server has the debug
// file of a build-id.
var errDebuginfodNotFound = errors.New("no debuginfod server has this build-id")

// debuginfodClient fetches debug files by build-id from debuginfod servers
// (GET $URL/buildid/<hex>/debuginfo) and keeps them in an on-disk cache. It
// is safe for concurrent use: callers asking for one build-id at once share
// one download, and different build-ids download at the same time. Misses
// are remembered for its lifetime.
type debuginfodClient struct {
	URLs     []string      // server base URLs, tried in order
	CacheDir string        // where fetched files are kept, as <CacheDir>/<build-id>/debuginfo
	Timeout  time.Duration // per request, the whole download included
	MaxBytes int64         // largest file accepted
	Client   *http.Client  // nil: http.DefaultClient

	mu       sync.Mutex           // guards absent and downloads
	absent   map[string]error     // build-ids every server answered 404 for
	inflight map[string]*download // the downloads under way, by build-id
}

// download is the download of one build-id's debug file, which the
// callers asking for it meanwhile share.
type download struct {
	done    chan struct{} // closed once path and err are set
	path    string
	err     error
	waiters int                // callers waiting for it; guarded by the client's mu
	cancel  context.CancelFunc // ends it, once no caller waits for it any more
}

// defaultDebuginfodTimeout bounds one request when DEBUGINFOD_TIMEOUT is unset.
const defaultDebuginfodTimeout = 30 * time.Second

// newDebuginfodClientFromEnv returns a client for the space-separated servers
// of $DEBUGINFOD_URLS, or nil when it is empty. Files are cached in
// $XDG_CACHE_HOME/flamekit/debuginfod, else ~/.cache/flamekit/debuginfod;
// $DEBUGINFOD_TIMEOUT (seconds) overrides the 30 s request timeout.
func newDebuginfodClientFromEnv() *debuginfodClient {
	urls := strings.Fields(os.Getenv("DEBUGINFOD_URLS"))
	if len(urls) == 0 {
		return nil
	}
	timeout := defaultDebuginfodTimeout
	if s, err := strconv.Atoi(os.Getenv("DEBUGINFOD_TIMEOUT")); err == nil && s > 0 {
		timeout = time.Duration(s) * time.Second
	}
	return &debuginfodClient{URLs: urls, CacheDir: defaultDebuginfodCacheDir(), Timeout: timeout}
}

// defaultDebuginfodCacheDir is $XDG_CACHE_HOME/flamekit/debuginfod, else
// ~/.cache/flamekit/debuginfod.
func defaultDebuginfodCacheDir() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "flamekit", "debuginfod")
}

// fetch returns the path of the cached debug file of a hex build-id,
// downloading it first if needed. Callers asking for the same build-id
// while it downloads wait for that download; a caller whose ctx ends stops
// waiting, and the download stops when no caller waits for it any more. It
// returns an error wrapping errDebuginfodNotFound when every server answers
// 404; that answer is remembered, other failures (timeouts, refused
// connections, cancellation) are not.
func (c *debuginfodClient) fetch(ctx context.Context, id string) (string, error) {
	if !isHexID(id) {
		return "", fmt.Errorf("symbolize: debuginfod: bad build-id %q", id)
	}
	dst := filepath.Join(c.CacheDir, id, "debuginfo")
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	d, err := c.join(ctx, id, dst)
	if err != nil {
		return "", err
	}
	if d == nil {
		return dst, nil
	}
	select {
	case <-d.done:
		return d.path, d.err
	case <-ctx.Done():
		c.mu.Lock()
		if d.waiters--; d.waiters == 0 {
			d.cancel()
			if c.inflight[id] == d {
				delete(c.inflight, id) // a caller coming now starts anew
			}
		}
		c.mu.Unlock()
		return "", fmt.Errorf("symbolize: debuginfod %s: %w", id, ctx.Err())
	}
}

// join returns the download of id under way, or starts one, counting the
// caller among its waiters. It returns a nil download when the answer is
// known already: the file is cached (err nil) or absent (err).
func (c *debuginfodClient) join(ctx context.Context, id, dst string) (*download, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.absent[id]; err != nil {
		return nil, err
	}
	d := c.inflight[id]
	if d == nil {
		if _, err := os.Stat(dst); err == nil { // a download just ended
			return nil, nil
		}
		// The download outlives a caller that gives up while others wait:
		// it ends when the last one does, not with the first's ctx.
		dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		d = &download{done: make(chan struct{}), cancel: cancel}
		if c.inflight == nil {
			c.inflight = map[string]*download{}
		}
		c.inflight[id] = d
		go c.run(dctx, id, dst, d)
	}
	d.waiters++
	return d, nil
}

// run downloads the debug file of id into dst for d's waiters.
func (c *debuginfodClient) run(ctx context.Context, id, dst string, d *download) {
	defer d.cancel()
	d.path, d.err = c.download(ctx, id, dst)
	c.mu.Lock()
	if c.inflight[id] == d {
		delete(c.inflight, id)
	}
	if errors.Is(d.err, errDebuginfodNotFound) {
		if c.absent == nil {
			c.absent = make(map[string]error)
		}
		c.absent[id] = d.err
	}
	c.mu.Unlock()
	close(d.done)
}

// download asks each server in turn for the debug file of id, into dst.
func (c *debuginfodClient) download(ctx context.Context, id, dst string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("symbolize: debuginfod cache: %w", err)
	}
	var errs []error
	absent := true // every server said 404
	for _, u := range c.URLs {
		err := c.get(ctx, strings.TrimRight(u, "/")+"/buildid/"+id+"/debuginfo", dst)
		if err == nil {
			return dst, nil
		}
		absent = absent && errors.Is(err, errDebuginfodNotFound)
		errs = append(errs, err)
	}
	if absent {
		return "", fmt.Errorf("symbolize: debuginfod %s: %w", id, errDebuginfodNotFound)
	}
	return "", fmt.Errorf("symbolize: debuginfod %s: %w", id, errors.Join(errs...))
}

// get GETs url into dst through a temporary file, so that a cut-off
// download never looks cached. It gives up after the client's timeout, or
// when ctx ends.
func (c *debuginfodClient) get(ctx context.Context, url, dst string) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultDebuginfodTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	hc := c.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return errDebuginfodNotFound
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	maxBytes := c.MaxBytes
	if maxBytes <= 0 {
		maxBytes = 4 << 30
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxBytes+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if n > maxBytes {
		return fmt.Errorf("GET %s: larger than %d bytes", url, maxBytes)
	}
	return os.Rename(tmp.Name(), dst)
}

// isHexID reports whether id is a plausible hex build-id.
func isHexID(id string) bool {
	if len(id) < 2 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
