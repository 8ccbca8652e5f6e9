// Package browser starts headless Chromium for the tests that drive a
// browser (flamegraph's SVG script, scope's page, cmd/flamekit's scope
// pages): Start gives a test a chromedp context whose browser keeps its
// profile and temporary files in the test's directory and is stopped when
// the test ends. It is apart from internal/testenv so that only those tests
// link chromedp; a machine without Chromium skips them, or fails them under
// CI, through testenv.Chromium.
package browser
