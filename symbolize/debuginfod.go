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

// ErrDebuginfodNotFound is returned when no debuginfod server has the debug
// file of a build-id.
var ErrDebuginfodNotFound = errors.New("symbolize: no debuginfod server has this build-id")

// debuginfodClient fetches debug files by build-id from debuginfod servers
// (GET $URL/buildid/<hex>/debuginfo) and keeps them in an on-disk cache. It
// is safe for concurrent use; misses are remembered for its lifetime.
type debuginfodClient struct {
	URLs     []string      // server base URLs, tried in order
	CacheDir string        // where fetched files are kept, as <CacheDir>/<build-id>/debuginfo
	Timeout  time.Duration // per request, the whole download included
	MaxBytes int64         // largest file accepted
	Client   *http.Client  // nil: http.DefaultClient

	mu     sync.Mutex // serializes downloads so one build-id is fetched once
	absent map[string]error
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
// downloading it first if needed. It returns an error wrapping
// ErrDebuginfodNotFound when every server answers 404; that answer is
// remembered, other failures (timeouts, refused connections) are not.
func (c *debuginfodClient) fetch(id string) (string, error) {
	if !isHexID(id) {
		return "", fmt.Errorf("symbolize: debuginfod: bad build-id %q", id)
	}
	dir := filepath.Join(c.CacheDir, id)
	dst := filepath.Join(dir, "debuginfo")
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.absent[id]; err != nil {
		return "", err
	}
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("symbolize: debuginfod cache: %w", err)
	}
	var errs []error
	absent := true // every server said 404
	for _, u := range c.URLs {
		err := c.download(strings.TrimRight(u, "/")+"/buildid/"+id+"/debuginfo", dst)
		if err == nil {
			return dst, nil
		}
		absent = absent && errors.Is(err, ErrDebuginfodNotFound)
		errs = append(errs, err)
	}
	err := fmt.Errorf("symbolize: debuginfod %s: %w", id, errors.Join(errs...))
	if absent {
		err = fmt.Errorf("symbolize: debuginfod %s: %w", id, ErrDebuginfodNotFound)
		if c.absent == nil {
			c.absent = make(map[string]error)
		}
		c.absent[id] = err
	}
	return "", err
}

// download GETs url into dst through a temporary file, so that a cut-off
// download never looks cached.
func (c *debuginfodClient) download(url, dst string) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultDebuginfodTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
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
		return ErrDebuginfodNotFound
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
