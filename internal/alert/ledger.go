package alert

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

	// Group commit: claims and finishes queue up while a transaction is
	// being written, and the next transaction writes all of them, one
	// statement per kind. Every caller still returns only once its own
	// write is committed, so the guarantees above hold as if each wrote
	// alone; but a run with many messages in flight pays for one commit
	// per batch instead of two per message.
	gmu        sync.Mutex
	queue      []*ledgerOp
	committing bool
	txs        atomic.Int64
}

// ledgerOp is one Claim or Finish waiting for its transaction.
type ledgerOp struct {
	claim    bool
	channel  string
	m        Message
	attempts int
	sendErr  error
	// results, set before done is closed
	claimed bool
	err     error
	done    chan struct{}
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

// Transactions is the number of transactions the ledger has committed.
func (l *Ledger) Transactions() int64 { return l.txs.Load() }

func (l *Ledger) stamp() string { return l.now().UTC().Format("2006-01-02 15:04:05.000000") }

// Claim marks every alert of m pending on channel. It reports false when
// all of them were already sent (or, on PostgreSQL, are pending under a
// live owner), in which case nothing must be sent.
func (l *Ledger) Claim(ctx context.Context, channel string, m Message) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("alert: ledger: claim: %w", err)
	}
	op := &ledgerOp{claim: true, channel: channel, m: m}
	l.submit(ctx, op)
	return op.claimed, op.err
}

// Finish records the outcome of m on channel: sent when err is nil, else
// failed with err's text. attempts is the number of attempts made. Finish
// still writes when ctx is cancelled, since the outcome is known.
func (l *Ledger) Finish(ctx context.Context, channel string, m Message, attempts int, sendErr error) error {
	op := &ledgerOp{channel: channel, m: m, attempts: attempts, sendErr: sendErr}
	l.submit(context.WithoutCancel(ctx), op)
	return op.err
}

// submit queues op and returns once it is committed (or failed). The
// caller that finds no transaction in progress writes the queue, batch
// after batch, until it is empty; the others wait for it. op is done when
// submit returns.
func (l *Ledger) submit(ctx context.Context, op *ledgerOp) {
	op.done = make(chan struct{})
	l.gmu.Lock()
	l.queue = append(l.queue, op)
	if l.committing {
		l.gmu.Unlock()
		<-op.done
		return
	}
	l.committing = true
	for len(l.queue) > 0 {
		batch := l.queue
		l.queue = nil
		l.gmu.Unlock()
		l.write(context.WithoutCancel(ctx), batch)
		for _, o := range batch {
			close(o.done)
		}
		l.gmu.Lock()
	}
	l.committing = false
	l.gmu.Unlock()
}

// write commits the claims and finishes of batch in one transaction, and
// sets each op's results. PostgreSQL may abort it as a deadlock victim when
// another process claims the same rows: it is then retried.
func (l *Ledger) write(ctx context.Context, batch []*ledgerOp) {
	var err error
	var claimed map[string]bool
	for try := 0; ; try++ {
		claimed, err = l.writeOnce(ctx, batch)
		if err == nil || try == 4 || !store.IsTransient(err) {
			break
		}
		time.Sleep(time.Duration(10*(try+1)) * time.Millisecond)
	}
	for _, op := range batch {
		if err != nil {
			if op.claim {
				op.err = fmt.Errorf("alert: ledger: claim: %w", err)
			} else {
				op.err = fmt.Errorf("alert: ledger: record %s: %w", op.status(), err)
			}
			continue
		}
		if op.claim {
			for _, a := range op.m.Alerts {
				if claimed[Key(op.channel, a.ContactEmail, op.m.AsOf)] {
					op.claimed = true
					break
				}
			}
		}
	}
}

// status is the ledger status a finish records.
func (op *ledgerOp) status() string {
	if op.sendErr != nil {
		return StatusFailed
	}
	return StatusSent
}

// columns turns rows of text into the parallel text arrays the queries
// unnest, the rows sorted by key (their first value) so that concurrent
// writers lock rows in the same order.
func columns(rows [][]string) []any {
	slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	cols := make([]any, len(rows[0]))
	for c := range cols {
		col := make([]string, len(rows))
		for i, row := range rows {
			col[i] = row[c]
		}
		cols[c] = col
	}
	return cols
}

func (l *Ledger) writeOnce(ctx context.Context, batch []*ledgerOp) (map[string]bool, error) {
	var claims, finishes [][]string
	seen := map[bool]map[string]bool{true: {}, false: {}} // by op.claim
	now := l.stamp()
	for _, op := range batch {
		for _, a := range op.m.Alerts {
			key := Key(op.channel, a.ContactEmail, op.m.AsOf)
			if seen[op.claim][key] {
				continue // a statement may touch a row once
			}
			seen[op.claim][key] = true
			if op.claim {
				claims = append(claims, []string{key, a.ContactEmail, a.CompanyID, op.channel, op.m.AsOf.Format(time.DateOnly)})
				continue
			}
			lastErr, sentAt := "", now // "": NULL
			if op.sendErr != nil {
				lastErr, sentAt = outbound.Truncate(op.sendErr.Error(), 500), ""
			}
			finishes = append(finishes, []string{key, op.status(), strconv.Itoa(op.attempts), lastErr, sentAt})
		}
	}
	tx, err := l.st.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	claimed := map[string]bool{}
	if len(claims) > 0 {
		rows, err := tx.QueryContext(ctx, l.st.SQL("alert_claim"), append(columns(claims), now, l.owner)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key string
			if err := rows.Scan(&key); err != nil {
				rows.Close()
				return nil, err
			}
			claimed[key] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	if len(finishes) > 0 {
		if _, err := tx.ExecContext(ctx, l.st.SQL("alert_finish"), append(columns(finishes), l.owner)...); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	l.txs.Add(1)
	return claimed, nil
}
