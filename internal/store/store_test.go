package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/store"
)

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDuck := filepath.Join(dir, "x.duckdb")
	os.WriteFile(notDuck, []byte("hello, world, this is text"), 0o644)
	os.Mkdir(filepath.Join(dir, "adir"), 0o755)
	tests := []struct {
		name, dsn string
		code      int
		has       string
	}{
		{"empty", "", exitcode.Usage, "--db"},
		{"missing file", filepath.Join(dir, "nope.duckdb"), exitcode.Data, "does not exist"},
		{"not duckdb", notDuck, exitcode.Data, "not a DuckDB database"},
		{"directory", filepath.Join(dir, "adir"), exitcode.Data, "directory"},
		{"catalog clash", filepath.Join(dir, "crm.duckdb"), exitcode.Usage, "clashes with schema crm"},
		{"other scheme", "mysql://u:p4ss@h/db", exitcode.Usage, "postgres://"},
		{"bad postgres url", "postgres://u:s3cret@127.0.0.1:notaport/db", exitcode.Usage, "not a valid PostgreSQL URL"},
		{"server down", "postgres://postgres:s3cret@127.0.0.1:1/db?connect_timeout=2", exitcode.Failure, "cannot reach PostgreSQL at 127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.Open(context.Background(), tt.dsn, store.Options{})
			if exitcode.Of(err) != tt.code || err == nil || !strings.Contains(err.Error(), tt.has) {
				t.Fatalf("Open(%q) = %v (exit %d), want exit %d mentioning %q", tt.dsn, err, exitcode.Of(err), tt.code, tt.has)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "p4ss") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestPostgresMissingDatabaseAndTable(t *testing.T) {
	dsn := crmtest.NewPostgresDB(t)
	missing := strings.Replace(dsn, "intentalert_test_", "intentalert_missing_", 1)
	_, err := store.Open(context.Background(), missing, store.Options{})
	if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing database: %v (exit %d), want exit 3", err, exitcode.Of(err))
	}
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Require(context.Background(), store.Visits)
	if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), "crm.website_visits is missing") {
		t.Errorf("missing table: %v, want exit 3 naming crm.website_visits", err)
	}
}

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:pw@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgres://u:p@ss@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://h/db?user=u&password=pw&sslmode=disable", "postgres://h/db?user=u&password=xxxxx&sslmode=disable"},
		{"data/db.duckdb", "data/db.duckdb"},
	}
	for _, tt := range tests {
		if got := store.RedactDSN(tt.in); got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStatements(t *testing.T) {
	got := store.Statements("-- header\nCREATE A;\nCREATE B (\n x INT\n);\n-- only a comment;\n")
	if len(got) != 2 || !strings.HasPrefix(got[1], "CREATE B") {
		t.Errorf("Statements = %q", got)
	}
}

func TestMigrateIsIdempotentOnEveryEngine(t *testing.T) {
	for _, e := range crmtest.Engines(t, store.Init) {
		t.Run(e.Name, func(t *testing.T) {
			crm := crmtest.New(t)
			crm.Close()
			st, err := store.Open(context.Background(), e.DSN(t, crm.Path), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ms, _ := st.Migrations()
			n, err := st.Migrate(context.Background())
			if err != nil || n != len(ms) || n == 0 {
				t.Fatalf("first Migrate = %d, %v; want all %d migrations", n, err, len(ms))
			}
			if n, err := st.Migrate(context.Background()); err != nil || n != 0 {
				t.Errorf("second Migrate = %d, %v; want 0", n, err)
			}
			var got int
			st.DB.QueryRow("SELECT count(*) FROM crm.schema_migrations").Scan(&got)
			if got != len(ms) {
				t.Errorf("crm.schema_migrations has %d rows, want %d", got, len(ms))
			}
		})
	}
}
