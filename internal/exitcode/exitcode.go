// Package exitcode classifies errors into the process exit codes that
// intentalert documents, so that every command fails the same way.
package exitcode

import (
	"errors"
	"fmt"
)

// Exit codes. They are part of the CLI's contract: scripts and schedulers
// branch on them, so never renumber.
const (
	OK      = 0 // success
	Failure = 1 // runtime failure: network, provider, disk, bug
	Usage   = 2 // bad flag, argument, environment variable or configuration
	Data    = 3 // bad input data: missing file, not a DuckDB file, missing table or column, locked database
	Partial = 4 // the run finished but some deliveries failed
	Busy    = 5 // another run holds the database's run lock
)

// Error carries an exit code alongside the error it describes.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap attaches code to err; nil stays nil.
func Wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Usagef returns a usage error (exit 2).
func Usagef(format string, args ...any) error {
	return &Error{Code: Usage, Err: fmt.Errorf(format, args...)}
}

// Dataf returns a bad-input-data error (exit 3).
func Dataf(format string, args ...any) error {
	return &Error{Code: Data, Err: fmt.Errorf(format, args...)}
}

// Of returns the exit code for err: 0 for nil, the attached code when there
// is one anywhere in the chain, else Failure.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failure
}
