package browser

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flamekit/flamekit/internal/testenv"
)

// Start starts headless Chromium (see testenv.Chromium) for one test or
// benchmark and returns its context, which ends after timeout. The browser
// keeps its profile and its temporary files (the singleton socket's
// directory, which it would otherwise leave in /tmp when killed) in the
// test's directory; the test fails if it put its singleton socket anywhere
// else.
func Start(tb testing.TB, timeout time.Duration) context.Context {
	tb.Helper()
	path := testenv.Chromium(tb)
	dir := tb.TempDir()
	profile, tmp := filepath.Join(dir, "profile"), filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		tb.Fatal(err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.WindowSize(1300, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	tb.Cleanup(func() {
		checkBrowserTemp(tb, profile, tmp)
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// checkBrowserTemp checks, while the browser runs, that its singleton
// socket (a link in the profile to a fresh directory in the browser's
// TMPDIR) is under tmp, so that killing the browser leaves nothing in /tmp.
func checkBrowserTemp(tb testing.TB, profile, tmp string) {
	tb.Helper()
	target, err := os.Readlink(filepath.Join(profile, "SingletonSocket"))
	if errors.Is(err, fs.ErrNotExist) {
		return // the browser never started
	}
	if err != nil {
		tb.Error(err)
		return
	}
	if !strings.HasPrefix(target, tmp+string(filepath.Separator)) {
		tb.Errorf("Chromium keeps its singleton socket at %s, outside the test's %s", target, tmp)
	}
}
