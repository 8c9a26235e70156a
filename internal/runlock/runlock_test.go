//go:build unix

package runlock_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/runlock"
)

// TestMain lets the test binary double as another process holding a lock.
func TestMain(m *testing.M) {
	if path := os.Getenv("RUNLOCK_TEST_HOLD"); path != "" {
		l, err := runlock.FileFor(path).TryLock(context.Background(), runlock.Me("held-by-child", time.Now()))
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("ready\n")
		bufio.NewReader(os.Stdin).ReadString('\n') // until the test kills us or closes stdin
		l.Unlock()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var t0 = time.Date(2024, 4, 30, 7, 0, 0, 0, time.UTC)

func TestSecondLockIsBusyAndNamesTheHolder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db.duckdb")
	ctx := context.Background()
	first, err := runlock.FileFor(db).TryLock(ctx, runlock.Me("run-1", t0))
	if err != nil {
		t.Fatalf("first TryLock: %v", err)
	}
	_, err = runlock.FileFor(db).TryLock(ctx, runlock.Me("run-2", t0))
	if !errors.Is(err, runlock.ErrBusy) {
		t.Fatalf("second TryLock = %v, want ErrBusy", err)
	}
	if got := exitcode.Of(err); got != exitcode.Busy {
		t.Errorf("exit code %d, want %d", got, exitcode.Busy)
	}
	var be *runlock.BusyError
	if !errors.As(err, &be) || be.Holder.RunID != "run-1" || be.Holder.PID != os.Getpid() {
		t.Errorf("holder = %+v, want run-1 with PID %d", be, os.Getpid())
	}
	for _, want := range []string{"run-1", "PID " + strconv.Itoa(os.Getpid()), db + runlock.FileSuffix} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if err := first.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := first.Unlock(); err != nil {
		t.Errorf("second Unlock: %v", err)
	}
	again, err := runlock.FileFor(db).TryLock(ctx, runlock.Me("run-3", t0))
	if err != nil {
		t.Fatalf("TryLock after Unlock: %v", err)
	}
	again.Unlock()
}

func TestLockFileIsKeptButEmptiedOnUnlock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db.duckdb")
	l, err := runlock.FileFor(db).TryLock(context.Background(), runlock.Me("run-1", t0))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(db + runlock.FileSuffix)
	if !strings.Contains(string(b), `"run_id":"run-1"`) {
		t.Errorf("lock file holds %q, want the owner", b)
	}
	l.Unlock()
	b, err = os.ReadFile(db + runlock.FileSuffix)
	if err != nil || len(b) != 0 {
		t.Errorf("after Unlock the lock file holds %q (err %v), want it empty", b, err)
	}
}

// A process killed while holding the lock leaves its file behind, full;
// the kernel has dropped its flock, so the next run proceeds.
func TestKilledHolderDoesNotBlock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db.duckdb")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "RUNLOCK_TEST_HOLD="+db)
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q", line)
	}

	_, err = runlock.FileFor(db).TryLock(context.Background(), runlock.Me("mine", t0))
	if !errors.Is(err, runlock.ErrBusy) || !strings.Contains(err.Error(), "PID "+strconv.Itoa(cmd.Process.Pid)) {
		t.Errorf("while the child holds it: TryLock = %v, want busy naming PID %d", err, cmd.Process.Pid)
	}

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if b, _ := os.ReadFile(db + runlock.FileSuffix); !strings.Contains(string(b), "held-by-child") {
		t.Fatalf("stale lock file holds %q, want the dead child's owner", b)
	}
	l, err := runlock.FileFor(db).TryLock(context.Background(), runlock.Me("mine", t0))
	if err != nil {
		t.Fatalf("TryLock after the holder was killed: %v", err)
	}
	l.Unlock()
}

func TestUnwritableDirectoryIsAnError(t *testing.T) {
	_, err := runlock.FileFor(filepath.Join(t.TempDir(), "missing", "db.duckdb")).TryLock(context.Background(), runlock.Owner{})
	if err == nil || errors.Is(err, runlock.ErrBusy) {
		t.Fatalf("TryLock in a missing directory = %v, want a plain error", err)
	}
}

func TestOwnerString(t *testing.T) {
	tests := []struct {
		o    runlock.Owner
		want string
	}{
		{runlock.Owner{}, "another process"},
		{runlock.Owner{PID: 7}, "PID 7"},
		{runlock.Owner{RunID: "r", PID: 7, Host: "h", Since: t0}, "run r, PID 7 on h, since 2024-04-30T07:00:00Z"},
	}
	for _, tt := range tests {
		if got := tt.o.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.o, got, tt.want)
		}
	}
}
