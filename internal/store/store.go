// Package store opens the CRM database the pipeline reads and writes back to
// and holds the SQL it runs there. The rest of the program sees a *Store: a
// database/sql handle, the engine it talks to, and the queries for that
// engine.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"text/template"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// Dialect names a database engine.
type Dialect string

// The engines intentalert can work on.
const (
	DuckDB Dialect = "duckdb"
)

//go:embed all:queries
var queries embed.FS

// Store is an open CRM database.
type Store struct {
	DB      *sql.DB
	Dialect Dialect
	// Name identifies the database in messages: a file path, or a URL with
	// its password removed.
	Name string
}

// Options tune Open.
type Options struct {
	// ReadOnly opens the database without taking the write lock, so that
	// readers may run beside a writer.
	ReadOnly bool
	// Create allows Open to create a missing DuckDB file.
	Create bool
}

// ErrLocked is wrapped by the error Open returns when another process holds
// the database's write lock.
var ErrLocked = errors.New("locked")

// duckdbMagic is found at byte offset 8 of every DuckDB database file.
var duckdbMagic = []byte("DUCK")

// Open opens the database named by dsn: a DuckDB file path, or a
// postgres:// URL.
// Problems with the input (a missing file, a file that is not a DuckDB
// database, a database locked by another process) come back as exit code 3
// errors naming the file.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	if dsn == "" {
		return nil, exitcode.Usagef("no database given: set --db or INTENTALERT_DB")
	}
	if IsPostgresURL(dsn) {
		return openPostgres(ctx, dsn, opt)
	}
	if strings.Contains(dsn, "://") {
		return nil, exitcode.Usagef("database %q: want a DuckDB file path or a postgres:// URL", RedactDSN(dsn))
	}
	return openDuckDB(ctx, dsn, opt)
}

func openDuckDB(ctx context.Context, file string, opt Options) (*Store, error) {
	base := filepath.Base(file)
	if strings.EqualFold(strings.TrimSuffix(base, filepath.Ext(base)), "crm") {
		// DuckDB names the catalog after the file, and catalog "crm" makes
		// every crm.<table> reference ambiguous.
		return nil, exitcode.Usagef("database %s: DuckDB names the catalog after the file, and %q clashes with schema crm: rename the file", file, base)
	}
	if err := CheckDuckDBFile(file); err != nil {
		if !(opt.Create && errors.Is(err, fs.ErrNotExist)) {
			return nil, err
		}
	}
	dsn := file
	if opt.ReadOnly {
		dsn += "?access_mode=read_only"
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return nil, duckdbOpenError(file, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, duckdbOpenError(file, err)
	}
	return &Store{DB: db, Dialect: DuckDB, Name: file}, nil
}

// CheckDuckDBFile reports, as an exit code 3 error naming the file, whether
// path is missing, unreadable or not a DuckDB database. The error wraps
// fs.ErrNotExist when the file is missing.
func CheckDuckDBFile(file string) error {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return exitcode.Wrap(exitcode.Data, fmt.Errorf("database %s does not exist (create it with `intentalert init`): %w", file, fs.ErrNotExist))
		}
		return exitcode.Dataf("database %s: %v", file, errors.Unwrap(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return exitcode.Dataf("database %s is a directory, not a DuckDB file", file)
	}
	head := make([]byte, 12)
	if n, _ := f.Read(head); n < len(head) || string(head[8:12]) != string(duckdbMagic) {
		return exitcode.Dataf("%s is not a DuckDB database file", file)
	}
	return nil
}

var lockHolder = regexp.MustCompile(`\(PID (\d+)\)`)

func duckdbOpenError(file string, err error) error {
	msg := err.Error()
	var de *duckdb.Error
	if errors.As(err, &de) {
		msg = de.Msg
	}
	switch {
	case strings.Contains(msg, "Could not set lock"), strings.Contains(msg, "Conflicting lock"):
		holder := "another process"
		if m := lockHolder.FindStringSubmatch(msg); m != nil {
			holder = "another process (PID " + m[1] + ")"
		}
		return exitcode.Wrap(exitcode.Data, fmt.Errorf("database %s is %w by %s: wait for it to finish, or point --db at another file", file, ErrLocked, holder))
	case strings.Contains(msg, "not a valid DuckDB database"), strings.Contains(msg, "Serialization Error"):
		return exitcode.Dataf("%s is not a readable DuckDB database: %s", file, firstLine(msg))
	}
	return fmt.Errorf("open database %s: %s", file, firstLine(msg))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

// SQL returns the statement named name for the store's engine: the file
// queries/<dialect>/<name>.sql when the engines differ, else queries/<name>.sql.
func (s *Store) SQL(name string) string {
	q, err := lookup(s.Dialect, name)
	if err != nil {
		// Every name is a constant checked by TestQueriesExist.
		panic(err)
	}
	return q
}

// fragmentsFile holds an engine's shared SQL fragments: text/template
// {{define}} blocks that its queries expand with {{template "name" arg}}.
const fragmentsFile = "_fragments.sql"

// expanded caches lookup's results: queries are constant, and some run once
// per alert.
var expanded sync.Map // "dialect/name" -> string

func lookup(d Dialect, name string) (string, error) {
	key := string(d) + "/" + name
	if q, ok := expanded.Load(key); ok {
		return q.(string), nil
	}
	for _, p := range []string{path.Join("queries", string(d), name+".sql"), path.Join("queries", name+".sql")} {
		b, err := queries.ReadFile(p)
		if err != nil {
			continue
		}
		q := string(b)
		if strings.Contains(q, "{{") {
			if q, err = expand(d, p, q); err != nil {
				return "", err
			}
		}
		expanded.Store(key, q)
		return q, nil
	}
	return "", fmt.Errorf("store: no query %q for %s", name, d)
}

// expand runs the query text q (from file p) as a template over the
// engine's fragments.
func expand(d Dialect, p, q string) (string, error) {
	frag, err := queries.ReadFile(path.Join("queries", string(d), fragmentsFile))
	if err != nil {
		return "", fmt.Errorf("store: %s uses fragments: %w", p, err)
	}
	t, err := template.New(fragmentsFile).Option("missingkey=error").Parse(string(frag))
	if err == nil {
		t, err = t.New(p).Parse(q)
	}
	var b strings.Builder
	if err == nil {
		err = t.Execute(&b, nil)
	}
	if err != nil {
		return "", fmt.Errorf("store: %s: %w", p, err)
	}
	return b.String(), nil
}

var urlPassword = regexp.MustCompile(`(://[^:/@]*:)[^/]*@`)
var paramPassword = regexp.MustCompile(`(?i)([?&]password=)[^&]*`)

// RedactDSN removes a password from a database URL so it can be shown.
func RedactDSN(dsn string) string {
	return paramPassword.ReplaceAllString(urlPassword.ReplaceAllString(dsn, "${1}xxxxx@"), "${1}xxxxx")
}
