package sampler

import (
	"errors"
	"fmt"
)

// ErrNoProcess reports a target process that does not exist. Package
// profile re-exports it.
var ErrNoProcess = errors.New("profile: no such process")

// kindError is an error of a kind: errors.Is finds the kind and the cause
// in errs, and the message is msg alone.
type kindError struct {
	msg  string
	errs []error // the kind, then the cause when there is one
}

func (e *kindError) Error() string   { return e.msg }
func (e *kindError) Unwrap() []error { return e.errs }

// Mark returns err as an error of kind (errs.ErrPermission,
// errs.ErrNotSupported, ErrNoProcess): errors.Is finds both, and the
// message is err's alone, so the kind's text (and a prefix) is not
// repeated in it.
func Mark(kind, err error) error {
	return &kindError{msg: err.Error(), errs: []error{kind, err}}
}

// Markf returns an error of kind with a message of its own.
func Markf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), errs: []error{kind}}
}

// NoProcess reports that process pid does not exist, as an error of kind
// ErrNoProcess; cause is how that was found, or nil.
func NoProcess(pid uint32, cause error) error {
	e := &kindError{msg: fmt.Sprintf("no process %d", pid), errs: []error{ErrNoProcess}}
	if cause != nil {
		e.errs = append(e.errs, cause)
	}
	return e
}
