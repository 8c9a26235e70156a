package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Postgres is the PostgreSQL engine, reached with pgx.
const Postgres Dialect = "postgres"

// IsPostgresURL reports whether dsn names a PostgreSQL database.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// PostgreSQL connection defaults; a URL may override them with its own
// parameters (for example ?statement_timeout=60000).
const (
	pgStatementTimeout = "600000" // ms: no statement of the pipeline should take ten minutes
	pgMaxConns         = 8
	pgConnectAttempts  = 4
)

func openPostgres(ctx context.Context, dsn string, opt Options) (*Store, error) {
	name := RedactDSN(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, exitcode.Usagef("database %s: not a valid PostgreSQL URL: %s", name, outbound.Scrub(firstLine(err.Error()), passwordOf(dsn)))
	}
	if _, ok := cfg.RuntimeParams["statement_timeout"]; !ok {
		cfg.RuntimeParams["statement_timeout"] = pgStatementTimeout
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "intentalert"
	}
	if opt.ReadOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(pgMaxConns)
	db.SetMaxIdleConns(pgMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	b := outbound.Backoff{Base: 250 * time.Millisecond, Max: 2 * time.Second, Attempts: pgConnectAttempts}
	_, err = b.Do(ctx, outbound.Sleep, func(ctx context.Context) error {
		err := db.PingContext(ctx)
		if err != nil && !transientPG(err) {
			return outbound.Permanent(err)
		}
		return err
	})
	if err != nil {
		db.Close()
		return nil, postgresOpenError(name, cfg, err)
	}
	return &Store{DB: db, Dialect: Postgres, Name: name}, nil
}

// transientPG reports whether a connection error may go away by itself: the
// server starting up or restarting, or the network.
func transientPG(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 57P03 cannot_connect_now (starting up), 53300 too_many_connections,
		// class 08 connection exceptions.
		return pe.Code == "57P03" || pe.Code == "53300" || strings.HasPrefix(pe.Code, "08")
	}
	var ne net.Error
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &ne) && ne.Timeout() || pgconn.SafeToRetry(err)
}

func postgresOpenError(name string, cfg *pgx.ConnConfig, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return exitcode.Usagef("database %s: authentication failed for user %q: check the user and password in --db / INTENTALERT_DB", name, cfg.User)
		case "3D000":
			return exitcode.Dataf("database %s: database %q does not exist: create it, or point --db at another one", name, cfg.Database)
		}
		return fmt.Errorf("database %s: %s (SQLSTATE %s)", name, pe.Message, pe.Code)
	}
	msg := outbound.Scrub(strings.Join(strings.Fields(err.Error()), " "), cfg.Password)
	for _, cause := range []string{"connection refused", "no such host", "i/o timeout", "timeout"} {
		if strings.Contains(msg, cause) {
			return fmt.Errorf("database %s: cannot reach PostgreSQL at %s:%d: %s", name, cfg.Host, cfg.Port, cause)
		}
	}
	return fmt.Errorf("database %s: %s", name, msg)
}

func passwordOf(dsn string) string {
	i := strings.Index(dsn, "://")
	if i < 0 {
		return ""
	}
	rest := dsn[i+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	if c := strings.Index(rest[:at], ":"); c >= 0 {
		return rest[c+1 : at]
	}
	return ""
}

// IsTransient reports whether a failed transaction may succeed when run
// again as it was: PostgreSQL chose it as a deadlock victim (40P01), failed
// it as a serialisation conflict (40001), or reported one of the
// connection errors transientPG retries at open.
func IsTransient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40P01" || pe.Code == "40001" || transientPG(err)
	}
	return false
}
