package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrations embed.FS

// Migration is one versioned change to the tables intentalert owns (and to
// the indexes it adds on the export's tables).
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the engine's migrations in version order. Files are
// migrations/<dialect>/<NNNN>_<name>.sql.
func (s *Store) Migrations() ([]Migration, error) {
	dir := path.Join("migrations", string(s.Dialect))
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations for %s: %w", s.Dialect, err)
	}
	var out []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("store: migration file %s: want NNNN_name.sql", e.Name())
		}
		b, err := migrations.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("store: two migrations numbered %d", out[i].Version)
		}
	}
	return out, nil
}

// Migrate applies, each in its own transaction, the migrations not yet
// recorded in crm.schema_migrations, and returns how many it applied.
// Running it again applies nothing. On PostgreSQL concurrent callers
// serialise on a session advisory lock, so that two processes starting at
// once never race to create the same table.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := s.Migrations()
	if err != nil {
		return 0, err
	}
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("database %s: %w", s.Name, err)
	}
	defer conn.Close()
	if s.Dialect == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext('intentalert.migrate'))"); err != nil {
			return 0, fmt.Errorf("database %s: take the migration lock: %w", s.Name, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('intentalert.migrate'))")
	}
	if err := s.ExecScript(ctx, conn, "migrations_table"); err != nil {
		return 0, fmt.Errorf("database %s: create crm.schema_migrations: %w", s.Name, err)
	}
	applied := 0
	for _, m := range ms {
		done, err := applyMigration(ctx, conn, m)
		if err != nil {
			return applied, fmt.Errorf("database %s: migration %04d_%s: %w", s.Name, m.Version, m.Name, err)
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, m Migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM crm.schema_migrations WHERE version = $1", m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	for _, stmt := range Statements(m.SQL) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO crm.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3::TIMESTAMP)",
		m.Version, m.Name, time.Now().UTC().Format("2006-01-02 15:04:05")); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// Execer runs a statement: *sql.DB, *sql.Tx and *sql.Conn are Execers.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ExecMigration runs the statements of the migration called name on db
// without recording it. A dry run uses it inside a transaction it rolls
// back, to see the tables a real run would have without writing anything;
// it relies on the migration being idempotent (CREATE ... IF NOT EXISTS).
func (s *Store) ExecMigration(ctx context.Context, db Execer, name string) error {
	ms, err := s.Migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Name != name {
			continue
		}
		for _, stmt := range Statements(m.SQL) {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("database %s: migration %04d_%s: %w", s.Name, m.Version, m.Name, err)
			}
		}
		return nil
	}
	return fmt.Errorf("store: no migration named %q for %s", name, s.Dialect)
}
