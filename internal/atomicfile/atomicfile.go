// Package atomicfile writes files so that readers see either the old
// content or the complete new content, never half a file.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write creates path by calling fill with a buffered writer on a temporary
// file in the same directory, syncing it and renaming it over path. On any
// error the temporary file is removed and path is left untouched.
func Write(path string, perm os.FileMode, fill func(w io.Writer) error) error {
	p, err := Prepare(path, perm, fill)
	if err != nil {
		return err
	}
	return p.Commit()
}

// Pending is a file's new content, written and synced under a temporary
// name in the file's directory, not yet in place. Commit puts it in place;
// Abort throws it away. Writing a file together with a database
// transaction goes: Prepare, commit the transaction, Commit (or Abort when
// the transaction fails), so that a full disk leaves both as they were.
type Pending struct {
	path string
	tmp  string
	done bool
}

// Prepare writes the new content of path as Write does, but stops before
// the rename: path is untouched until Commit. On error nothing is left
// behind.
func Prepare(path string, perm os.FileMode, fill func(w io.Writer) error) (*Pending, error) {
	return prepare(path, perm, func(tmp *os.File) error {
		bw := bufio.NewWriterSize(tmp, 256<<10)
		if err := fill(bw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
}

// PrepareFile is Prepare for content that another writer puts in a file
// by name (a database's COPY ... TO, say): fill gets the temporary file's
// path and must write the whole content there.
func PrepareFile(path string, perm os.FileMode, fill func(tmpPath string) error) (*Pending, error) {
	return prepare(path, perm, func(tmp *os.File) error {
		if err := fill(tmp.Name()); err != nil {
			return err
		}
		// fill may have replaced the file: sync what is at the name now.
		f, err := os.Open(tmp.Name())
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", path, err)
		}
		return nil
	})
}

func prepare(path string, perm os.FileMode, fill func(tmp *os.File) error) (_ *Pending, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return nil, err
	}
	if err = os.Chmod(tmp.Name(), perm); err != nil {
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", path, err)
	}
	return &Pending{path: path, tmp: tmp.Name()}, nil
}

// Commit renames the new content over the file. After a failed rename the
// temporary file is removed and the file keeps its old content.
func (p *Pending) Commit() error {
	if p.done {
		return fmt.Errorf("rename into %s: already committed or aborted", p.path)
	}
	p.done = true
	if err := os.Rename(p.tmp, p.path); err != nil {
		os.Remove(p.tmp)
		return fmt.Errorf("rename into %s: %w", p.path, err)
	}
	return nil
}

// Abort removes the new content, leaving the file as it was. It does
// nothing after Commit, so it can be deferred.
func (p *Pending) Abort() {
	if p.done {
		return
	}
	p.done = true
	os.Remove(p.tmp)
}
