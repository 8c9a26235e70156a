package faults

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/crmtest"
)

// asOf is the date every fixture is built around.
var asOf = time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC)

const asOfText = "2024-04-30"

// contactEmail is the address of the i-th generated contact.
func contactEmail(i int) string { return fmt.Sprintf("c%04d@acme.com", i) }

// highCRM returns a CRM (closed) with one HIGH company, acme.com, that has
// n contacts c0000@acme.com... plus the tables segmentation writes
// (crm.customer_buying_intent) and, when verified, crm.valid_emails with
// every address valid: what alert needs.
func highCRM(t testing.TB, n int, verified bool) string {
	t.Helper()
	src := template(t, fmt.Sprintf("high-%d-%v", n, verified), func(t testing.TB) string { return buildHighCRM(t, n, verified) })
	return copyFile(t, src, "db.duckdb")
}

func buildHighCRM(t testing.TB, n int, verified bool) string {
	t.Helper()
	crm := crmtest.New(t)
	crm.Company("acme", "acme.com", "1 Main Street, Springfield")
	crm.Visit("visitor@acme.com", "2024-04-29")
	crm.News("https://www.acme.com/news", "2024-04-28", "Acme raises a round")
	crm.Exec(`INSERT INTO crm.contacts
		SELECT 'acme', 'contact-' || i, 'First' || i, 'Last' || i, printf('c%04d@acme.com', i), '+1 555 ' || i, 'load', 'dlt-c' || i
		FROM range($1) t(i)`, n)
	crm.Exec(`CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`)
	crm.Exec(`INSERT INTO crm.customer_buying_intent VALUES ('acme', 'HIGH')`)
	if verified {
		crm.Exec(`CREATE TABLE crm.valid_emails (email VARCHAR, is_email_valid BOOLEAN)`)
		crm.Exec(`INSERT INTO crm.valid_emails SELECT printf('c%04d@acme.com', i), true FROM range($1) t(i)`, n)
	}
	crm.Close()
	return crm.Path
}

// manyCompanies returns a CRM (closed) with n companies, a third of them
// HIGH, a third MEDIUM and a third LOW as of asOf, each with one contact:
// a segmentation whose CSV is a few tens of kilobytes.
func manyCompanies(t testing.TB, n int) string {
	t.Helper()
	crm := crmtest.New(t)
	crm.Exec(`INSERT INTO crm.companies SELECT printf('company-%05d', i), i || ' Long Road', printf('co%05d.com', i), 'load', 'dlt-' || i FROM range($1) t(i)`, n)
	crm.Exec(`INSERT INTO crm.contacts SELECT printf('company-%05d', i), 'contact-' || i, 'F', 'L', printf('boss@co%05d.com', i), '', 'load', 'dlt-c' || i FROM range($1) t(i)`, n)
	crm.Exec(`INSERT INTO crm.news_publications SELECT 'news-' || i, 'News ' || i, printf('https://www.co%05d.com/n', i), DATE '2024-04-28' - CAST((i % 3) * 10 AS INTEGER), 'load', 'dlt-n' || i FROM range($1) t(i)`, n)
	crm.Exec(`INSERT INTO crm.website_visits SELECT 'visit-' || i, printf('someone@co%05d.com', i), DATE '2024-04-29', 'load', 'dlt-v' || i FROM range($1) t(i)`, n)
	crm.Close()
	return crm.Path
}

// onPostgres loads the DuckDB CRM fixture into a new PostgreSQL database
// (skipping the test when INTENTALERT_TEST_POSTGRES is unset) and
// segments and verifies it (offline) there with the real binary, so that
// the tables intentalert owns exist as it creates them. It returns the
// database's URL.
func onPostgres(t testing.TB, fixture string) string {
	t.Helper()
	dsn := crmtest.NewPostgresDB(t)
	environ := env(t)
	runBin(t, environ, "init", "--src", fixture, "--db", dsn).want(t, 0)
	runBin(t, environ, "segment", "--db", dsn, "--as-of", asOfText, "--data-dir", t.TempDir()).want(t, 0)
	runBin(t, environ, "verify", "--db", dsn, "--as-of", asOfText, "--data-dir", t.TempDir()).want(t, 0)
	return dsn
}

// copyFile copies src to a new file in a fresh temporary directory, under
// name, and returns its path.
func copyFile(t testing.TB, src, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// query runs a query on the DuckDB file path (no intentalert process may
// hold it) or the postgres:// URL, and returns every row as strings
// ("NULL" for NULL).
func query(t testing.TB, path, q string, args ...any) [][]string {
	t.Helper()
	driver := "duckdb"
	if strings.HasPrefix(path, "postgres://") {
		driver = "pgx"
	}
	db, err := sql.Open(driver, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
			if !v.Valid {
				row[i] = "NULL"
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}
