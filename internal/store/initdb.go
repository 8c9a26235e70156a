package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// ExportTables are the tables a CRM export must hold to be worked on.
var ExportTables = []Table{Companies, Contacts, News, Visits, Outreach}

// InitDuckDB copies the DuckDB export src to the working database dst. The
// source is only ever read. A write-ahead log beside the source
// (src.wal) is copied too and checkpointed into the copy, so that no
// committed data is lost. The copy is made under a temporary name and
// renamed into place, so dst is either the old database or the complete new
// one. An existing dst is replaced only when force is set.
func InitDuckDB(ctx context.Context, src, dst string, force bool) error {
	if err := CheckDuckDBFile(src); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if same, err := sameFile(src, dst); err != nil {
		return err
	} else if same {
		return exitcode.Usagef("--src and --db are the same file (%s): the export must never be modified, pick another working database", src)
	}
	if _, err := os.Stat(dst); err == nil {
		if !force {
			return exitcode.Usagef("working database %s already exists: pass --force to replace it", dst)
		}
		// Fail now, not after the copy, when another process works on dst.
		st, err := openDuckDB(ctx, dst, Options{})
		if err != nil {
			// A dst that is not a database we can open is what --force
			// replaces; one that another process holds is not.
			if errors.Is(err, ErrLocked) || exitcode.Of(err) != exitcode.Data {
				return err
			}
		} else {
			st.Close()
		}
	}
	if dir := filepath.Dir(dst); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create directory %s: %w", dir, err)
		}
	}
	tmp := fmt.Sprintf("%s.init-%d", dst, os.Getpid())
	cleanup := func() { os.Remove(tmp); os.Remove(tmp + ".wal") }
	cleanup()
	if err := copyFile(src, tmp); err != nil {
		cleanup()
		return err
	}
	if _, err := os.Stat(src + ".wal"); err == nil {
		if err := copyFile(src+".wal", tmp+".wal"); err != nil {
			cleanup()
			return err
		}
	}
	if err := checkpoint(ctx, tmp, src); err != nil {
		cleanup()
		return err
	}
	os.Remove(dst + ".wal")
	if err := os.Rename(tmp, dst); err != nil {
		cleanup()
		return fmt.Errorf("rename %s to %s: %w", tmp, dst, err)
	}
	return nil
}

// checkpoint opens the copy, which replays any copied write-ahead log,
// checks it holds a CRM export, and checkpoints it so the log is folded
// into the file.
func checkpoint(ctx context.Context, file, src string) error {
	st, err := openDuckDB(ctx, file, Options{})
	if err != nil {
		return fmt.Errorf("export %s: %w", src, err)
	}
	defer st.Close()
	st.Name = src
	if err := st.Require(ctx, ExportTables...); err != nil {
		return err
	}
	if _, err := st.DB.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("checkpoint copy of %s: %w", src, err)
	}
	return nil
}

func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, exitcode.Dataf("export %s: %v", a, errors.Unwrap(err))
	}
	ib, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		aa, _ := filepath.Abs(a)
		bb, _ := filepath.Abs(b)
		return aa == bb, nil
	}
	if err != nil {
		return false, fmt.Errorf("working database %s: %w", b, err)
	}
	return os.SameFile(ia, ib), nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return exitcode.Dataf("export %s: %v", src, errors.Unwrap(err))
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("sync %s: %w", dst, err)
	}
	return out.Close()
}
