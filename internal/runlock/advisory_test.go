package runlock_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/runlock"
)

// TestAdvisoryLock runs on a real PostgreSQL server, when
// INTENTALERT_TEST_POSTGRES names one (.ci/run sets it).
func TestAdvisoryLock(t *testing.T) {
	dsn := crmtest.NewPostgresDB(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := runlock.Advisory(db, "test").TryLock(ctx, runlock.Me("run-1", time.Now()))
	if err != nil {
		t.Fatalf("first TryLock: %v", err)
	}
	_, err = runlock.Advisory(db, "test").TryLock(ctx, runlock.Me("run-2", time.Now()))
	var be *runlock.BusyError
	if !errors.As(err, &be) || be.Holder.RunID != "run-1" || exitcode.Of(err) != exitcode.Busy {
		t.Errorf("second TryLock = %v, want exit 5 naming run-1", err)
	}
	if err := first.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	again, err := runlock.Advisory(db, "test").TryLock(ctx, runlock.Me("run-3", time.Now()))
	if err != nil {
		t.Fatalf("TryLock after Unlock: %v", err)
	}
	// The server drops a dead session's lock: closing the holder's
	// connection pool frees it for another client.
	other, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := runlock.Advisory(other, "test").TryLock(ctx, runlock.Me("run-4", time.Now())); !errors.Is(err, runlock.ErrBusy) {
		t.Fatalf("TryLock from another client while held = %v, want busy", err)
	}
	again.Unlock()
	db.Close()
	l, err := runlock.Advisory(other, "test").TryLock(ctx, runlock.Me("run-5", time.Now()))
	if err != nil {
		t.Fatalf("TryLock after the holder's client closed: %v", err)
	}
	l.Unlock()
}
