// Package runlock lets one pipeline run at a time work on a database. A run
// takes the lock before it opens the database and gives it back when it
// ends; a run that finds the lock taken stops at once with an error naming
// the holder, instead of waiting or working beside it.
//
// Two implementations share the Locker interface: a lock file beside a
// DuckDB database, held with flock(2) (File), and a PostgreSQL session-level
// advisory lock (Advisory). Both are released by the operating system or the
// server when the holding process dies, so a killed run never blocks the
// next one.
package runlock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// ErrBusy is wrapped by the error TryLock returns when another run holds
// the lock.
var ErrBusy = errors.New("another run holds the run lock")

// Locker takes a database's run lock.
type Locker interface {
	// TryLock takes the lock without waiting. When another run holds it,
	// the error is a *BusyError (wrapping ErrBusy) with exit code 5.
	TryLock(ctx context.Context, o Owner) (Lock, error)
}

// Lock is a held run lock.
type Lock interface {
	// Unlock gives the lock back. It is safe to call more than once.
	Unlock() error
}

// Owner describes the run holding a lock, so that a run that finds it taken
// can say by whom.
type Owner struct {
	RunID string    `json:"run_id,omitempty"`
	PID   int       `json:"pid"`
	Host  string    `json:"host,omitempty"`
	Since time.Time `json:"since"`
}

// Me returns the Owner for this process and run.
func Me(runID string, now time.Time) Owner {
	host, _ := os.Hostname()
	return Owner{RunID: runID, PID: os.Getpid(), Host: host, Since: now.UTC()}
}

func (o Owner) String() string {
	if o.PID == 0 && o.RunID == "" {
		return "another process"
	}
	s := fmt.Sprintf("PID %d", o.PID)
	if o.Host != "" {
		s += " on " + o.Host
	}
	if o.RunID != "" {
		s = "run " + o.RunID + ", " + s
	}
	if !o.Since.IsZero() {
		s += ", since " + o.Since.UTC().Format(time.RFC3339)
	}
	return s
}

func (o Owner) encode() []byte {
	b, _ := json.Marshal(o)
	return append(b, '\n')
}

func decodeOwner(b []byte) Owner {
	var o Owner
	if json.Unmarshal(b, &o) != nil {
		return Owner{}
	}
	return o
}

// BusyError says that another run holds the lock, and which.
type BusyError struct {
	What   string // the lock: a file path or a database name
	Holder Owner  // zero when unknown
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s (%s): %v; wait for it to finish or stop it, then run again", ErrBusy, e.Holder, e.What)
}

// Unwrap makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Unwrap() error { return ErrBusy }

func busy(what string, holder Owner) error {
	return exitcode.Wrap(exitcode.Busy, &BusyError{What: what, Holder: holder})
}
