package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/normalize"
)

// TestEveryQueryExpands loads every query of every engine the way SQL does:
// each file's fragments expand, and nothing of the template syntax is left.
func TestEveryQueryExpands(t *testing.T) {
	for _, d := range []Dialect{DuckDB, Postgres} {
		err := fs.WalkDir(queries, "queries", func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || path.Base(p) == fragmentsFile {
				return err
			}
			dir := path.Dir(p)
			if dir != "queries" && dir != path.Join("queries", string(d)) {
				return nil
			}
			q, err := lookup(d, strings.TrimSuffix(path.Base(p), ".sql"))
			if err != nil {
				t.Errorf("%s: %v", p, err)
			} else if strings.Contains(q, "{{") || strings.Contains(q, "}}") {
				t.Errorf("%s for %s keeps template syntax after expansion", p, d)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestFragmentsMatchNormalize runs the DuckDB fragments on URLs and
// addresses in every shape the rules distinguish, and on thousands of random
// strings over the characters they react to, and compares each result with
// the Go rules of internal/normalize.
func TestFragmentsMatchNormalize(t *testing.T) {
	inputs := []string{
		"", " ", "\t\n", "http://www.castillo.biz", "https://www.hall-powell.com", "http://pope.com", "pope2.com",
		"www.pope3.com", "HTTPS://WWW.Pope4.COM", "  https://pope5.com/  ", "\thttp://pope6.com\n",
		"https://pope7.com:8443/news?id=1#top", "pope8.com:80", "pope9.com/path/to", "pope10.com?x=1",
		"pope11.com#frag", "https://user:secret@www.pope12.com:8080/x", "https://a@b@pope13.com",
		"https://pope14.com./", "ftp://files.pope15.com", "https://www.www.pope16.com", "mailto:info@pope17.com",
		"www.www.www.a.com", "http:// www.a.com", "1http://a.com", "h-t+t.p://a.com", "://a.com", "a://b://c",
		"https://", "www.", "...", "a.com...", "Jane.Doe@Acme.COM", "x@y@ Z.com \v", "no-at-sign", "@",
		"a\n@b.com", "\fwww.ÉCOLE.fr/x", "ÄÖ@ÜBER.de", "HTTP://WWW.WWW.", "https:/a.com", "http:a.com",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aAwWh.:/@?#- \t\n\r\f\vÉä1+"
	runes := []rune(alphabet)
	pieces := []string{"http", "https", "://", "www.", "@", ".com", ":8080", "/x", "?q", "#f", " ", "\t"}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			if rng.IntN(3) == 0 {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			} else {
				b.WriteRune(runes[rng.IntN(len(runes))])
			}
		}
		inputs = append(inputs, b.String())
	}

	t.Run("duckdb", func(t *testing.T) {
		db, err := sql.Open("duckdb", "")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		checkFragments(t, db, DuckDB, inputs)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv(crmtest.PostgresEnv)
		if dsn == "" {
			t.Skip("needs PostgreSQL: set " + crmtest.PostgresEnv)
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		checkFragments(t, db, Postgres, inputs)
	})
}

// checkFragments runs d's fragments on inputs, in a temporary table on one
// connection of db, and compares them with internal/normalize.
func checkFragments(t *testing.T, db *sql.DB, d Dialect, inputs []string) {
	ctx := context.Background()
	conn, err := db.Conn(ctx) // the temporary table lives on one connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE input (i INTEGER, url VARCHAR, email VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for lo := 0; lo < len(inputs); lo += 500 {
		var values []string
		var args []any
		for i := lo; i < min(lo+500, len(inputs)); i++ {
			n := len(args)
			values = append(values, fmt.Sprintf("($%d::INTEGER, $%d::VARCHAR, $%d::VARCHAR)", n+1, n+2, n+3))
			args = append(args, i, inputs[i], inputs[i])
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO input VALUES `+strings.Join(values, ", "), args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	q, err := expand(d, "test", `
		SELECT h.i, h.host, e.host, {{template "trim" "h.url"}}
		FROM ({{template "host" "input"}}) h
		JOIN ({{template "email_host" "input"}}) e ON e.i = h.i
		ORDER BY h.i`)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var i int
		var host, emailHost, trimmed string
		if err := rows.Scan(&i, &host, &emailHost, &trimmed); err != nil {
			t.Fatal(err)
		}
		n++
		in := inputs[i]
		if want := normalize.HostOnce(in); host != want {
			t.Errorf("host of %q: SQL %q, Go %q", in, host, want)
		}
		if want := normalize.EmailDomain(in); emailHost != want {
			t.Errorf("email domain of %q: SQL %q, Go %q", in, emailHost, want)
		}
		if want := normalize.Trim(in); trimmed != want {
			t.Errorf("trim of %q: SQL %q, Go %q", in, trimmed, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(inputs) {
		t.Fatalf("%d rows back for %d inputs", n, len(inputs))
	}
}
