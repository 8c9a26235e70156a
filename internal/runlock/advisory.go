package runlock

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AdvisoryKey is the PostgreSQL advisory lock key of intentalert's run lock
// (the ASCII bytes of "intalrt1"). Any process that wants to keep runs out of
// the database may take it too.
const AdvisoryKey int64 = 0x696e74616c727431

// AdvisoryLocker holds a PostgreSQL session-level advisory lock on a
// connection of its own, for as long as the run lasts. The server releases
// it when that session ends, including when the process dies.
type AdvisoryLocker struct {
	DB   *sql.DB
	Name string // the database, as shown in messages (password removed)
}

// Advisory returns the Locker for a PostgreSQL database.
func Advisory(db *sql.DB, name string) *AdvisoryLocker {
	return &AdvisoryLocker{DB: db, Name: name}
}

var _ Locker = (*AdvisoryLocker)(nil)

// applicationPrefix starts the application_name of the holding session,
// "intentalert-run <run id> <pid>@<host>", so that a run finding the lock
// taken can name the holder. PostgreSQL keeps 63 bytes of it: the host may
// be cut short.
const applicationPrefix = "intentalert-run "

func applicationName(o Owner) string {
	return fmt.Sprintf("%s%s %d@%s", applicationPrefix, o.RunID, o.PID, o.Host)
}

func parseApplicationName(app string, since time.Time) (Owner, bool) {
	rest, ok := strings.CutPrefix(app, applicationPrefix)
	if !ok {
		return Owner{}, false
	}
	runID, proc, _ := strings.Cut(rest, " ")
	pid, host, _ := strings.Cut(proc, "@")
	n, err := strconv.Atoi(pid)
	if err != nil {
		return Owner{}, false
	}
	return Owner{RunID: runID, PID: n, Host: host, Since: since}, true
}

// TryLock takes the advisory lock without waiting.
func (l *AdvisoryLocker) TryLock(ctx context.Context, o Owner) (Lock, error) {
	conn, err := l.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("run lock: connect to %s: %w", l.Name, err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, AdvisoryKey).Scan(&ok); err != nil {
		conn.Close()
		return nil, fmt.Errorf("run lock: pg_try_advisory_lock on %s: %w", l.Name, err)
	}
	if !ok {
		holder := l.holder(ctx, conn)
		conn.Close()
		return nil, busy("advisory lock on "+l.Name, holder)
	}
	// Best effort: name the session after the run so others can see it.
	_, _ = conn.ExecContext(ctx, `SELECT set_config('application_name', $1, false)`, applicationName(o))
	return &advisoryLock{conn: conn}, nil
}

// holder reads who holds the lock from pg_locks and pg_stat_activity.
func (l *AdvisoryLocker) holder(ctx context.Context, conn *sql.Conn) Owner {
	var app string
	var pid int
	var since time.Time
	err := conn.QueryRowContext(ctx, `
SELECT a.pid, coalesce(a.application_name, ''), a.backend_start
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1
LIMIT 1`, AdvisoryKey).Scan(&pid, &app, &since)
	if err != nil {
		return Owner{}
	}
	if o, ok := parseApplicationName(app, since); ok {
		return o
	}
	// Not an intentalert run, or one that could not name its session.
	return Owner{PID: pid, Host: "the database server (backend PID)", Since: since}
}

type advisoryLock struct {
	once sync.Once
	conn *sql.Conn
	err  error
}

func (l *advisoryLock) Unlock() error {
	l.once.Do(func() {
		// The run's context may be done; the unlock must still happen.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, l.err = l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, AdvisoryKey)
		if err := l.conn.Close(); l.err == nil {
			l.err = err
		}
	})
	return l.err
}
