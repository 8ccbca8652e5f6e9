package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestSentinels(t *testing.T) {
	wrapped := fmt.Errorf("profile: opening cycles: %w", ErrNotSupported)
	if !errors.Is(wrapped, ErrNotSupported) || !errors.Is(wrapped, errors.ErrUnsupported) {
		t.Errorf("a wrapped ErrNotSupported is not found, or does not mean errors.ErrUnsupported")
	}
	if errors.Is(wrapped, ErrPermission) || errors.Is(ErrPermission, errors.ErrUnsupported) {
		t.Errorf("the sentinels are told apart")
	}
	if ErrNotSupported.Error() != "not supported" || ErrPermission.Error() != "permission denied" {
		t.Errorf("messages carry no prefix: %q, %q", ErrNotSupported, ErrPermission)
	}
}
