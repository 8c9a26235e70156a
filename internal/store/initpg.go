package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// Init copies the DuckDB export src into the working database dst: a file
// copy for a DuckDB path, a load with COPY for a postgres:// URL.
func Init(ctx context.Context, src, dst string, force bool) error {
	if IsPostgresURL(dst) {
		return InitPostgres(ctx, src, dst, force)
	}
	return InitDuckDB(ctx, src, dst, force)
}

// OwnedTables are the tables intentalert itself writes. They are not part
// of an export: loading a working DuckDB database into PostgreSQL leaves
// them behind, and the target's migrations create its own.
var OwnedTables = []string{
	"schema_migrations", "customer_buying_intent", "buying_intent_history",
	"email_verifications", "valid_emails", "alert_deliveries", "pipeline_runs",
}

// pgType maps a DuckDB column type of the export to PostgreSQL.
func pgType(duck string) (pg string, castToText bool) {
	switch t := strings.ToUpper(duck); {
	case t == "VARCHAR" || strings.HasPrefix(t, "VARCHAR("):
		return "text", false
	case t == "BIGINT", t == "INTEGER", t == "SMALLINT", t == "BOOLEAN", t == "DATE", t == "DOUBLE PRECISION":
		return strings.ToLower(t), false
	case t == "DOUBLE":
		return "double precision", false
	case t == "TIMESTAMP":
		return "timestamp", false
	case t == "TIMESTAMP WITH TIME ZONE":
		return "timestamptz", false
	}
	return "text", true
}

// InitPostgres loads every table of schema crm of the DuckDB export src into
// schema crm of the PostgreSQL database at url, with COPY, in one
// transaction. Existing export tables are replaced only with force; the
// tables intentalert owns (segments, verifications, the alert ledger) are
// kept. The export is read from a private copy, so it is never written.
func InitPostgres(ctx context.Context, src, url string, force bool) error {
	tmpDir, err := os.MkdirTemp("", "intentalert-init-")
	if err != nil {
		return fmt.Errorf("create temporary directory: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	copyPath := filepath.Join(tmpDir, "export.duckdb")
	if err := InitDuckDB(ctx, src, copyPath, false); err != nil {
		return err
	}
	duck, err := openDuckDB(ctx, copyPath, Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer duck.Close()
	duck.Name = src
	// DuckDB would keep up to 80% of the machine's memory of the copy's
	// blocks cached, on a machine that may also run PostgreSQL: init reads
	// each block once, so a small cache does.
	if _, err := duck.DB.ExecContext(ctx, "SET memory_limit = '1GB'"); err != nil {
		return fmt.Errorf("export %s: %w", src, err)
	}
	tables, err := exportTables(ctx, duck)
	if err != nil {
		return err
	}
	pg, err := openPostgres(ctx, url, Options{})
	if err != nil {
		return err
	}
	defer pg.Close()
	conn, err := pg.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("database %s: %w", pg.Name, err)
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c := driverConn.(*stdlib.Conn).Conn()
		tx, err := c.Begin(ctx)
		if err != nil {
			return fmt.Errorf("database %s: begin: %w", pg.Name, err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS crm"); err != nil {
			return fmt.Errorf("database %s: create schema crm: %w", pg.Name, err)
		}
		for _, t := range tables {
			if err := loadTable(ctx, tx, duck, pg.Name, t, force); err != nil {
				return err
			}
		}
		// The window indexes go on the freshly loaded tables (dropping a
		// table drops its indexes), built once after COPY.
		if err := pg.ExecMigration(ctx, pgxExec{tx}, "window_indexes"); err != nil {
			return err
		}
		// The activity tables go in date order, as a CRM that appends its
		// activity has them: a time window's rows then share pages, and
		// the window queries read those pages, not the whole table.
		// (Sorting in DuckDB instead materialises the whole sorted table
		// in this process.)
		for _, t := range tables {
			col, ok := windowColumns[t.name]
			if !ok || !slices.Contains(t.columns, col) {
				continue
			}
			ident := pgx.Identifier{"crm", t.name}.Sanitize()
			for _, q := range []string{"CLUSTER " + ident + " USING " + pgx.Identifier{t.name + "_date_idx"}.Sanitize(), "ANALYZE " + ident} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("database %s: %s: %w", pg.Name, q, err)
				}
			}
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("database %s: commit: %w", pg.Name, err)
		}
		return nil
	})
}

// windowColumns are the date columns the time-window queries filter the
// activity tables on; migration 0002 indexes each as <table>_date_idx.
var windowColumns = map[string]string{
	"news_publications": "publication_date_utc",
	"website_visits":    "event_date_utc",
	"outreach_emails":   "sent_date_utc",
}

type exportTable struct {
	name    string
	columns []string
	types   []string
}

func exportTables(ctx context.Context, duck *Store) ([]exportTable, error) {
	rows, err := duck.DB.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'crm' ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("export %s: read the schema: %w", duck.Name, err)
	}
	defer rows.Close()
	var out []exportTable
	for rows.Next() {
		var table, col, typ string
		if err := rows.Scan(&table, &col, &typ); err != nil {
			return nil, fmt.Errorf("export %s: read the schema: %w", duck.Name, err)
		}
		if slices.Contains(OwnedTables, table) {
			continue
		}
		if len(out) == 0 || out[len(out)-1].name != table {
			out = append(out, exportTable{name: table})
		}
		t := &out[len(out)-1]
		t.columns = append(t.columns, col)
		t.types = append(t.types, typ)
	}
	return out, rows.Err()
}

func loadTable(ctx context.Context, tx pgx.Tx, duck *Store, pgName string, t exportTable, force bool) error {
	ident := pgx.Identifier{"crm", t.name}.Sanitize()
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'crm' AND table_name = $1)`, t.name).Scan(&exists); err != nil {
		return fmt.Errorf("database %s: look up %s: %w", pgName, ident, err)
	}
	if exists && !force {
		return exitcode.Usagef("database %s: table crm.%s already exists: pass --force to replace the export's tables", pgName, t.name)
	}
	if exists {
		if _, err := tx.Exec(ctx, "DROP TABLE "+ident+" CASCADE"); err != nil {
			return fmt.Errorf("database %s: drop %s: %w", pgName, ident, err)
		}
	}
	var defs, selects []string
	for i, c := range t.columns {
		typ, cast := pgType(t.types[i])
		col := pgx.Identifier{c}.Sanitize()
		defs = append(defs, col+" "+typ)
		if cast {
			selects = append(selects, "CAST("+col+" AS VARCHAR)")
		} else {
			selects = append(selects, col)
		}
	}
	if _, err := tx.Exec(ctx, "CREATE TABLE "+ident+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return fmt.Errorf("database %s: create %s: %w", pgName, ident, err)
	}
	// The rows are read a slice of rowids at a time: the driver holds a
	// whole result in memory, and an export's activity tables can be tens
	// of millions of rows. rowid (last) names the export's row in messages.
	var last int64 // -1: no rows
	if err := duck.DB.QueryRowContext(ctx, "SELECT coalesce(max(rowid), -1) FROM "+ident).Scan(&last); err != nil {
		return fmt.Errorf("export %s: read crm.%s: %w", duck.Name, t.name, err)
	}
	src := &rowSource{
		duck: duck, query: "SELECT " + strings.Join(selects, ", ") + ", rowid FROM " + ident + " WHERE rowid >= $1 AND rowid < $2 ORDER BY rowid",
		last: last, vals: make([]any, len(t.columns)+1), table: t.name, columns: t.columns, ctx: ctx,
	}
	defer src.close()
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"crm", t.name}, t.columns, src); err != nil {
		if src.err != nil {
			// A value the server cannot take: bad input, not a failure.
			return fmt.Errorf("export %s: %w", duck.Name, src.err)
		}
		return fmt.Errorf("database %s: copy crm.%s: %w", pgName, t.name, err)
	}
	return nil
}

// pgxExec lets a pgx transaction run a migration's statements.
type pgxExec struct{ tx pgx.Tx }

func (p pgxExec) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	_, err := p.tx.Exec(ctx, query, args...)
	return nil, err
}

// rowSource streams database/sql rows into pgx's COPY.
type rowSource struct {
	ctx        context.Context
	duck       *Store
	query      string // one slice: $1 <= rowid < $2
	next, last int64  // the next slice starts at next; rowids end at last
	rows       *sql.Rows
	vals       []any
	err        error // a value PostgreSQL cannot take
	readErr    error
	table      string
	columns    []string
}

// exportSlice is the number of rowids init reads at a time.
var exportSlice int64 = 500_000

// Next moves to the next row, reading the next slice when one runs out.
func (r *rowSource) Next() bool {
	for {
		if r.rows != nil {
			if r.rows.Next() {
				return true
			}
			r.readErr = r.rows.Err()
			r.rows.Close()
			r.rows = nil
			if r.readErr != nil {
				return false
			}
		}
		if r.next > r.last {
			return false
		}
		rows, err := r.duck.DB.QueryContext(r.ctx, r.query, r.next, r.next+exportSlice)
		if err != nil {
			r.readErr = fmt.Errorf("read crm.%s: %w", r.table, err)
			return false
		}
		r.rows, r.next = rows, r.next+exportSlice
	}
}

func (r *rowSource) close() {
	if r.rows != nil {
		r.rows.Close()
	}
}

func (r *rowSource) Values() ([]any, error) {
	ptrs := make([]any, len(r.vals))
	for i := range r.vals {
		ptrs[i] = &r.vals[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	rowid, _ := r.vals[len(r.vals)-1].(int64)
	vals := r.vals[:len(r.vals)-1]
	// DuckDB text may hold NUL characters; PostgreSQL text cannot. Name
	// the row and the column rather than let the server refuse the COPY
	// without saying where.
	for i, v := range vals {
		if s, ok := v.(string); ok && strings.ContainsRune(s, 0) {
			r.err = exitcode.Dataf("crm.%s row %d%s, column %s: the value contains a NUL character, which PostgreSQL cannot store: remove it from the export",
				r.table, rowid+1, r.rowID(), r.columns[i])
			return nil, r.err
		}
	}
	return vals, nil
}

// rowID names the current row by its id column, when it has one.
func (r *rowSource) rowID() string {
	for i, c := range r.columns {
		if s, ok := r.vals[i].(string); ok && c == "id" {
			return fmt.Sprintf(" (id %q)", s)
		}
	}
	return ""
}

func (r *rowSource) Err() error { return r.readErr }
