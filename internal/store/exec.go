package store

import (
	"context"
	"database/sql"
	"strings"
)

// DBTX is what *sql.DB, *sql.Tx and *sql.Conn have in common, so that store
// code runs the same inside and outside a transaction.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ExecScript runs the statements of the named query file one by one. A
// statement ends with a semicolon at the end of a line.
func (s *Store) ExecScript(ctx context.Context, db DBTX, name string) error {
	for _, stmt := range Statements(s.SQL(name)) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// Statements splits a script into statements at semicolons that end a line
// outside a $$-quoted body, dropping comment-only and empty statements.
func Statements(script string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		stmt := strings.TrimSpace(cur.String())
		cur.Reset()
		if stmt == "" {
			return
		}
		for _, line := range strings.Split(stmt, "\n") {
			l := strings.TrimSpace(line)
			if l != "" && !strings.HasPrefix(l, "--") {
				out = append(out, stmt)
				return
			}
		}
	}
	inBody := false
	for _, line := range strings.SplitAfter(script, "\n") {
		if strings.Count(line, "$$")%2 == 1 {
			inBody = !inBody
		}
		trimmed := strings.TrimRight(line, " \t\r\n")
		if !inBody && strings.HasSuffix(trimmed, ";") {
			cur.WriteString(strings.TrimSuffix(trimmed, ";"))
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return out
}
