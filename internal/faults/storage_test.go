package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/atomicfile"
	"github.com/intentalert/intentalert/internal/exitcode"
)

// snapshot is what a failed command must leave as it was: the tables the
// commands write back and their CSV files.
type snapshot struct {
	segments, validEmails, deliveries [][]string
	segmentsCSV, validCSV             []byte
}

func takeSnapshot(t testing.TB, db, dataDir string) snapshot {
	t.Helper()
	var s snapshot
	s.segments = query(t, db, `SELECT company_id, buying_intent FROM crm.customer_buying_intent ORDER BY ALL`)
	s.validEmails = query(t, db, `SELECT email, is_email_valid FROM crm.valid_emails ORDER BY ALL`)
	if len(ledger(t, db)) > 0 {
		s.deliveries = query(t, db, `SELECT key, status FROM crm.alert_deliveries ORDER BY ALL`)
	}
	s.segmentsCSV, _ = os.ReadFile(filepath.Join(dataDir, "customer_segments.csv"))
	s.validCSV, _ = os.ReadFile(filepath.Join(dataDir, "valid_emails.csv"))
	return s
}

// same reports what differs between two snapshots.
func (s snapshot) same(t testing.TB, after snapshot, what string) {
	t.Helper()
	if !slices.EqualFunc(s.segments, after.segments, slices.Equal) {
		t.Errorf("%s: crm.customer_buying_intent changed (%d rows before, %d after)", what, len(s.segments), len(after.segments))
	}
	if !slices.EqualFunc(s.validEmails, after.validEmails, slices.Equal) {
		t.Errorf("%s: crm.valid_emails changed (%d rows before, %d after)", what, len(s.validEmails), len(after.validEmails))
	}
	if !slices.EqualFunc(s.deliveries, after.deliveries, slices.Equal) {
		t.Errorf("%s: crm.alert_deliveries changed", what)
	}
	if !bytes.Equal(s.segmentsCSV, after.segmentsCSV) {
		t.Errorf("%s: customer_segments.csv changed (%d bytes before, %d after)", what, len(s.segmentsCSV), len(after.segmentsCSV))
	}
	if !bytes.Equal(s.validCSV, after.validCSV) {
		t.Errorf("%s: valid_emails.csv changed (%d bytes before, %d after)", what, len(s.validCSV), len(after.validCSV))
	}
}

// noTempFiles fails when dir holds a temporary file a write left behind.
func noTempFiles(t testing.TB, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

// prepared returns a copy of a CRM of n companies segmented and verified
// (offline) as of asOf by the real binary, and puts the CSV files those
// commands wrote into dataDir.
func prepared(t testing.TB, n int, dataDir string) string {
	t.Helper()
	src := template(t, fmt.Sprintf("prepared-%d", n), func(t testing.TB) string {
		db := manyCompanies(t, n)
		environ := env(t)
		runBin(t, environ, "segment", "--db", db, "--as-of", asOfText, "--data-dir", filepath.Dir(db)).want(t, 0)
		runBin(t, environ, "verify", "--db", db, "--as-of", asOfText, "--data-dir", filepath.Dir(db)).want(t, 0)
		return db
	})
	for _, f := range []string{"customer_segments.csv", "valid_emails.csv"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(src), f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dataDir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return copyFile(t, src, "db.duckdb")
}

// TestLockedDatabase runs every command that writes (and some that only
// read) while another process holds the DuckDB database's write lock: each
// stops at once with exit 3 and a message naming the holder's PID, and
// nothing changes.
func TestLockedDatabase(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	db := prepared(t, 30, dataDir)
	before := takeSnapshot(t, db, dataDir)
	rcv := newReceiver(t, nil)
	environ := env(t, "INTENTALERT_WEBHOOK_URL="+rcv.URL())
	pid, release := holdDatabase(t, db)
	holder := fmt.Sprintf("locked by another process (PID %d)", pid)
	for _, args := range [][]string{
		{"segment", "--as-of", "2024-06-15"},
		{"verify", "--segments", "HIGH,MEDIUM,LOW"},
		{"alert"},
		{"alert", "--dry-run"},
		{"run"},
		{"explain", "co00001.com"},
		{"runs"},
		{"diff", "--from", "2024-04-30"},
		{"init", "--src", manyCompanies(t, 3), "--force"},
	} {
		args = append(args, "--db", db, "--data-dir", dataDir)
		res := runBin(t, environ, args...)
		res.want(t, exitcode.Data, holder, db)
		if strings.Count(strings.TrimSpace(res.errOut), "\n") > 0 && args[0] != "run" {
			t.Errorf("%s: the error is not one line:\n%s", args[0], res.errOut)
		}
		addFigure("storage faults", "faults_injected", 1)
	}
	release()
	if n := len(rcv.receipts()); n != 0 {
		t.Errorf("%d alerts sent while the database was locked", n)
	}
	before.same(t, takeSnapshot(t, db, dataDir), "locked database")
	noTempFiles(t, dataDir)
}

// TestRunLockAndKilledRun starts a pipeline run that hangs in its alert
// step, checks that a second run is refused with exit 5 naming the first,
// kills the first with SIGKILL, and checks that the next run is not
// blocked, finishes the alert left in flight under the same key and finds
// the killed run abandoned.
func TestRunLockAndKilledRun(t *testing.T) {
	t.Parallel()
	db := highCRM(t, 3, false)
	dataDir := t.TempDir()
	hang := newReceiver(t, func(int, int) answer { return answer{Hang: true} })
	arrived := make(chan struct{}, 1)
	hang.hooks(func(int) {
		select {
		case arrived <- struct{}{}:
		default:
		}
	}, nil)
	args := []string{"run", "--db", db, "--as-of", asOfText, "--data-dir", dataDir, "--alert-concurrency", "1"}
	first := start(t, env(t, "INTENTALERT_WEBHOOK_URL="+hang.URL()), args...)
	select {
	case <-arrived:
	case <-first.done:
		t.Fatalf("the first run ended: %+v", first.result())
	case <-time.After(time.Minute):
		t.Fatal("the first run sent nothing within a minute")
	}
	res := runBin(t, env(t, "INTENTALERT_WEBHOOK_URL="+hang.URL()), args...)
	res.want(t, exitcode.Busy, fmt.Sprintf("PID %d", first.cmd.Process.Pid))
	first.kill()
	addFigure("storage faults", "faults_injected", 2)
	healthy := newReceiver(t, nil)
	res = runBin(t, env(t, "INTENTALERT_WEBHOOK_URL="+healthy.URL()), args...)
	res.want(t, 0, "succeeded")
	inFlight := hang.receipts()[0].Key
	got := healthy.receipts()
	if len(got) != 3 || !slices.ContainsFunc(got, func(r receipt) bool { return r.Key == inFlight }) {
		t.Errorf("the next run sent %d alerts; want 3, the one in flight at the kill under its key %s", len(got), inFlight)
	}
	res = runBin(t, env(t), "runs", "--db", db, "--format", "json")
	res.want(t, 0)
	var runs []struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(res.out), &runs); err != nil {
		t.Fatalf("runs --format json: %v\n%s", err, res.out)
	}
	var statuses []string
	for _, r := range runs {
		statuses = append(statuses, r.Status)
	}
	if !slices.Equal(statuses, []string{"succeeded", "abandoned"}) {
		t.Errorf("runs: %v, want the new run succeeded and the killed one abandoned", statuses)
	}
}

// TestDiskFull fills the file system of the data directory (a small tmpfs,
// where one can be mounted) so that the CSV files cannot be written, and
// checks that segment and verify fail with a clear error while the
// previous tables and CSV files stay as they were. Where no tmpfs can be
// mounted, it injects the failure through atomicfile instead.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	if err := mountTmpfs(dataDir, 512<<10, false); err != nil {
		t.Logf("no tmpfs (%v): injecting ENOSPC through atomicfile instead", err)
		diskFullInjected(t)
		return
	}
	t.Cleanup(func() { unmount(dataDir) })
	db := prepared(t, 3000, dataDir)
	before := takeSnapshot(t, db, dataDir)
	filler := fill(t, dataDir, 16<<10)
	environ := env(t)
	for _, args := range [][]string{
		{"segment", "--as-of", "2024-06-15"},
		{"verify", "--segments", "HIGH,MEDIUM,LOW"},
	} {
		args = append(args, "--db", db, "--data-dir", dataDir)
		res := runBin(t, environ, args...)
		res.want(t, exitcode.Failure, dataDir)
		// Go says "no space left on device", DuckDB's COPY "No space left on device".
		if !strings.Contains(strings.ToLower(res.errOut), "no space left on device") {
			t.Errorf("intentalert %s: stderr does not say the disk is full:\n%s", args[0], clip(res.errOut))
		}
		before.same(t, takeSnapshot(t, db, dataDir), "disk full: "+args[0])
		noTempFiles(t, dataDir)
		addFigure("storage faults", "faults_injected", 1)
	}
	// With space again, the same commands succeed.
	os.Remove(filler)
	runBin(t, environ, "segment", "--as-of", "2024-06-15", "--db", db, "--data-dir", dataDir).want(t, 0)
	runBin(t, environ, "verify", "--segments", "HIGH,MEDIUM,LOW", "--db", db, "--data-dir", dataDir).want(t, 0)
	after := takeSnapshot(t, db, dataDir)
	if bytes.Equal(before.segmentsCSV, after.segmentsCSV) || len(after.validEmails) != 3000 {
		t.Errorf("after freeing space: the CSV did not change or crm.valid_emails has %d rows, want 3000", len(after.validEmails))
	}
}

// fill writes a file in dir until the file system is full, then frees
// free bytes, and returns the file's path.
func fill(t testing.TB, dir string, free int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var n int64
	for {
		m, err := f.Write(buf)
		n += int64(m)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(max(0, n-free)); err != nil {
		t.Fatal(err)
	}
	return path
}

// diskFullInjected is TestDiskFull without a tmpfs: a writer that fails
// with ENOSPC after a few kilobytes, under atomicfile, the code every CSV
// goes through.
func diskFullInjected(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "customer_segments.csv")
	old := []byte("company_id,buying_intent\nacme,HIGH\n")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		fw := &fullWriter{w: w, left: 4096}
		for i := range 10000 {
			if _, err := fmt.Fprintf(fw, "company-%05d,LOW\n", i); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("atomicfile.Write = %v, want ENOSPC", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
		t.Errorf("the previous file changed: %q", got)
	}
	noTempFiles(t, dir)
	addFigure("storage faults", "faults_injected", 1)
}

// fullWriter fails with ENOSPC once left bytes were written.
type fullWriter struct {
	w    io.Writer
	left int
}

func (f *fullWriter) Write(b []byte) (int, error) {
	if len(b) > f.left {
		n, _ := f.w.Write(b[:f.left])
		f.left = 0
		return n, &os.PathError{Op: "write", Path: "(injected)", Err: syscall.ENOSPC}
	}
	f.left -= len(b)
	return f.w.Write(b)
}

// TestReadOnlyDataDirectory points --data-dir at a directory that cannot
// be written: a path under a regular file (ENOTDIR, which stops root too)
// and, where mounts are allowed, a read-only bind mount of the previous
// data directory (EROFS). segment and verify fail with a clear error
// naming the directory; tables and CSV files stay as they were.
func TestReadOnlyDataDirectory(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	db := prepared(t, 30, dataDir)
	before := takeSnapshot(t, db, dataDir)
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	type place struct {
		name, dir, err string
	}
	places := []place{{"under a regular file", filepath.Join(file, "data"), "not a directory"}}
	if err := bindReadOnly(dataDir); err != nil {
		t.Logf("no read-only bind mount (%v): only the ENOTDIR case runs", err)
	} else {
		t.Cleanup(func() { unmount(dataDir) })
		places = append(places, place{"read-only mount", dataDir, "read-only file system"})
	}
	environ := env(t)
	for _, pl := range places {
		for _, args := range [][]string{
			{"segment", "--as-of", "2024-06-15"},
			{"verify", "--segments", "HIGH,MEDIUM,LOW"},
		} {
			args = append(args, "--db", db, "--data-dir", pl.dir)
			res := runBin(t, environ, args...)
			res.want(t, exitcode.Failure, pl.err, pl.dir)
			before.same(t, takeSnapshot(t, db, dataDir), pl.name+": "+args[0])
			addFigure("storage faults", "faults_injected", 1)
		}
	}
	noTempFiles(t, dataDir)
}
