//go:build !unix

package runlock

import (
	"context"
	"errors"
)

// FileSuffix is appended to a DuckDB database's path to name its lock file.
const FileSuffix = ".run.lock"

// FileFor returns the Locker for the DuckDB database file db.
func FileFor(db string) *FileLocker { return &FileLocker{Path: db + FileSuffix} }

// FileLocker needs flock(2), which this system lacks.
type FileLocker struct {
	Path string
}

// TryLock always fails here: run intentalert on Linux or macOS.
func (l *FileLocker) TryLock(context.Context, Owner) (Lock, error) {
	return nil, errors.New("run lock: lock files need a Unix system (flock)")
}
