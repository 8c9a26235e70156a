package alert

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/intentalert/intentalert/internal/outbound"
	"github.com/intentalert/intentalert/internal/store"
)

// Delivery statuses in crm.alert_deliveries.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// EnsureTables makes the ledger table visible on db when it is missing, by
// running its migration there unrecorded: Prepare does it inside a
// transaction it rolls back, so a dry run writes nothing. Real runs create
// it with store.Migrate.
func EnsureTables(ctx context.Context, st *store.Store, db store.DBTX) error {
	if err := st.ExecMigration(ctx, db, "alert_deliveries"); err != nil {
		return fmt.Errorf("alert: create crm.alert_deliveries: %w", err)
	}
	return nil
}

// Ledger records deliveries in crm.alert_deliveries. A message is claimed
// (status pending) before its first attempt and finished (sent or failed)
// after its last, so that a process killed in between leaves exactly the
// messages that may have gone out as pending; a rerun for the same as-of
// sends them again under the same key.
//
// Every claim names its owner, this ledger. A pending row is taken over only
// from an owner that is gone: on PostgreSQL each owner holds a session
// advisory lock for its lifetime (see Hold), and a claim takes a pending
// row of another owner only when it can take that owner's lock, that is
// when the owner's connection has died. So two processes alerting at once
// send every alert exactly once between them, and a killed one's pending
// alerts are resent by the next run at once. DuckDB admits one writing
// process, so there an older pending row is always a dead run's.
type Ledger struct {
	st    *store.Store
	now   func() time.Time
	owner string
	held  *sql.Conn // PostgreSQL: the connection holding the owner's lock
	// mu serialises writes: they are small, and one writer at a time keeps
	// embedded engines free of write conflicts.
	mu sync.Mutex
}

// NewLedger returns the ledger of st. now stamps created_at and sent_at.
func NewLedger(st *store.Store, now func() time.Time) *Ledger {
	if now == nil {
		now = time.Now
	}
	return &Ledger{st: st, now: now, owner: strconv.FormatInt(int64(rand.Int32N(math.MaxInt32-1)+1), 10)}
}

// Hold makes the ledger's ownership visible to other processes for as long
// as it is held: on PostgreSQL, a session advisory lock on a connection of
// its own. Release ends it.
func (l *Ledger) Hold(ctx context.Context) error {
	if l.st.Dialect != store.Postgres || l.held != nil {
		return nil
	}
	conn, err := l.st.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("alert: ledger: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext('intentalert.alert.owner'), $1::int)", l.owner); err != nil {
		conn.Close()
		return fmt.Errorf("alert: ledger: take the owner lock: %w", err)
	}
	l.held = conn
	return nil
}

// Release gives up the ledger's ownership (closing its connection releases
// the lock even if the unlock fails).
func (l *Ledger) Release() {
	if l.held == nil {
		return
	}
	l.held.ExecContext(context.Background(), "SELECT pg_advisory_unlock(hashtext('intentalert.alert.owner'), $1::int)", l.owner)
	l.held.Close()
	l.held = nil
}

func (l *Ledger) stamp() string { return l.now().UTC().Format("2006-01-02 15:04:05.000000") }

// Claim marks every alert of m pending on channel. It reports false when
// all of them were already sent, in which case nothing must be sent.
func (l *Ledger) Claim(ctx context.Context, channel string, m Message) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	tx, err := l.st.DB.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("alert: ledger: begin: %w", err)
	}
	defer tx.Rollback()
	claimed := 0
	for _, a := range m.Alerts {
		key := Key(channel, a.ContactEmail, m.AsOf)
		res, err := tx.ExecContext(ctx, l.st.SQL("alert_claim"), key, a.ContactEmail, a.CompanyID, channel, m.AsOf.Format(time.DateOnly), l.stamp(), l.owner)
		if err != nil {
			return false, fmt.Errorf("alert: ledger: claim: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			claimed++
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("alert: ledger: claim: %w", err)
	}
	return claimed > 0, nil
}

// Finish records the outcome of m on channel: sent when err is nil, else
// failed with err's text. attempts is the number of attempts made. Finish
// still writes when ctx is cancelled, since the outcome is known.
func (l *Ledger) Finish(ctx context.Context, channel string, m Message, attempts int, sendErr error) error {
	ctx = context.WithoutCancel(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	status, lastErr, sentAt := StatusSent, any(nil), any(l.stamp())
	if sendErr != nil {
		status, lastErr, sentAt = StatusFailed, outbound.Truncate(sendErr.Error(), 500), nil
	}
	tx, err := l.st.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("alert: ledger: begin: %w", err)
	}
	defer tx.Rollback()
	for _, a := range m.Alerts {
		key := Key(channel, a.ContactEmail, m.AsOf)
		if _, err := tx.ExecContext(ctx, l.st.SQL("alert_finish"), key, status, attempts, lastErr, sentAt, l.owner); err != nil {
			return fmt.Errorf("alert: ledger: record %s: %w", status, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("alert: ledger: record %s: %w", status, err)
	}
	return nil
}
