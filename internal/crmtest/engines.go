package crmtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver for test databases
)

// PostgresEnv names the environment variable holding the URL of a
// PostgreSQL server the tests may create databases on. .ci/run sets it.
const PostgresEnv = "INTENTALERT_TEST_POSTGRES"

// Engine is a database engine the store and pipeline tests run against.
type Engine struct {
	Name string
	// DSN turns a DuckDB fixture into a working database of this engine and
	// returns its --db value. The fixture must be closed.
	DSN func(t testing.TB, fixture string) string
}

// Engines returns DuckDB always, and PostgreSQL when PostgresEnv is set.
// Each PostgreSQL use gets its own database, so tests can run in parallel.
func Engines(t testing.TB, load func(ctx context.Context, src, dst string, force bool) error) []Engine {
	engines := []Engine{{Name: "duckdb", DSN: func(t testing.TB, fixture string) string { return fixture }}}
	if os.Getenv(PostgresEnv) == "" {
		t.Logf("PostgreSQL tests skipped: set %s to a server URL to run them", PostgresEnv)
		return engines
	}
	return append(engines, Engine{Name: "postgres", DSN: func(t testing.TB, fixture string) string {
		t.Helper()
		dsn := NewPostgresDB(t)
		if err := load(context.Background(), fixture, dsn, false); err != nil {
			t.Fatalf("crmtest: load %s into PostgreSQL: %v", fixture, err)
		}
		return dsn
	}})
}

// NewPostgresDB creates an empty database on the server named by
// PostgresEnv, drops it when the test ends, and returns its URL. It skips
// the test when PostgresEnv is unset.
func NewPostgresDB(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("set %s to a PostgreSQL server URL to run this test", PostgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("crmtest: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "intentalert_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("crmtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("crmtest: %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + strings.TrimPrefix(name, "/")
	return u.String()
}
