//go:build unix

package runlock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// FileSuffix is appended to a DuckDB database's path to name its lock file.
const FileSuffix = ".run.lock"

// FileFor returns the Locker for the DuckDB database file db: the lock file
// db + FileSuffix, beside it.
func FileFor(db string) *FileLocker { return &FileLocker{Path: db + FileSuffix} }

// FileLocker holds a lock file with flock(2). The file itself stays when
// the lock is released (removing it would let two runs lock two different
// files of the same name); what matters is the flock, which the kernel
// drops when the holder exits or is killed. While held, the file contains
// the holder's Owner as JSON.
type FileLocker struct {
	Path string
}

var _ Locker = (*FileLocker)(nil)

// TryLock takes the lock file without waiting.
func (l *FileLocker) TryLock(_ context.Context, o Owner) (Lock, error) {
	f, err := os.OpenFile(l.Path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run lock: %w", err)
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b, _ := io.ReadAll(io.LimitReader(f, 4096))
			return nil, busy("lock file "+l.Path, decodeOwner(b))
		}
		return nil, fmt.Errorf("run lock: flock %s: %w", l.Path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(o.encode(), 0)
	}
	return &fileLock{f: f}, nil
}

type fileLock struct {
	once sync.Once
	f    *os.File
	err  error
}

func (l *fileLock) Unlock() error {
	l.once.Do(func() {
		_ = l.f.Truncate(0)
		l.err = flock(l.f, syscall.LOCK_UN)
		if err := l.f.Close(); l.err == nil {
			l.err = err
		}
	})
	return l.err
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
