// Package crmtest builds small CRM databases with the export's schema for
// tests, row by row, so each test states exactly the data it is about.
package crmtest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the DuckDB driver the fixtures are written with
)

// Schema is the CRM export's schema (schema crm), as loaded by dlt.
const Schema = `
CREATE SCHEMA IF NOT EXISTS crm;
CREATE TABLE crm.companies (id VARCHAR, address VARCHAR, domain VARCHAR, _dlt_load_id VARCHAR, _dlt_id VARCHAR);
CREATE TABLE crm.contacts (company_id VARCHAR, id VARCHAR, first_name VARCHAR, last_name VARCHAR, email VARCHAR, phone VARCHAR, _dlt_load_id VARCHAR, _dlt_id VARCHAR);
CREATE TABLE crm.companies__contacts (id VARCHAR, first_name VARCHAR, last_name VARCHAR, email VARCHAR, phone VARCHAR, _dlt_parent_id VARCHAR, _dlt_list_idx BIGINT, _dlt_id VARCHAR);
CREATE TABLE crm.news_publications (id VARCHAR, headline VARCHAR, company_website VARCHAR, publication_date_utc DATE, _dlt_load_id VARCHAR, _dlt_id VARCHAR);
CREATE TABLE crm.website_visits (id VARCHAR, email VARCHAR, event_date_utc DATE, _dlt_load_id VARCHAR, _dlt_id VARCHAR);
CREATE TABLE crm.outreach_emails (id VARCHAR, "to" VARCHAR, "from" VARCHAR, subject VARCHAR, sent_date_utc DATE, _dlt_load_id VARCHAR, _dlt_id VARCHAR);
`

// CRM is a DuckDB fixture database being filled.
type CRM struct {
	t    testing.TB
	Path string
	DB   *sql.DB
	n    int
}

// New creates an empty CRM with the export's schema in a new file of
// t.TempDir(). Close it (or let the test end) before the code under test
// opens Path.
func New(t testing.TB) *CRM {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fixture.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatalf("crmtest: open %s: %v", path, err)
	}
	c := &CRM{t: t, Path: path, DB: db}
	t.Cleanup(func() { db.Close() })
	c.Exec(Schema)
	return c
}

// Exec runs SQL on the fixture, failing the test on error.
func (c *CRM) Exec(query string, args ...any) {
	c.t.Helper()
	if _, err := c.DB.ExecContext(context.Background(), query, args...); err != nil {
		c.t.Fatalf("crmtest: %v\n%s", err, query)
	}
}

func (c *CRM) id(prefix string) string {
	c.n++
	return prefix + "-" + strconv.Itoa(c.n)
}

// Company adds a company and returns its id. An empty id gets a fresh one.
func (c *CRM) Company(id, domain, address string) string {
	c.t.Helper()
	if id == "" {
		id = c.id("company")
	}
	c.Exec(`INSERT INTO crm.companies VALUES ($1, $2, $3, 'load', $4)`, id, address, nullable(domain), c.id("dlt"))
	return id
}

// Contact adds a contact of a company and returns its id. email "" is
// stored as NULL; use EmptyString for an empty string.
func (c *CRM) Contact(companyID, first, last, email, phone string) string {
	c.t.Helper()
	id := c.id("contact")
	c.Exec(`INSERT INTO crm.contacts VALUES ($1, $2, $3, $4, $5, $6, 'load', $7)`, companyID, id, first, last, nullable(email), phone, c.id("dlt"))
	return id
}

// News adds a news publication dated day (YYYY-MM-DD).
func (c *CRM) News(website, day, headline string) {
	c.t.Helper()
	c.Exec(`INSERT INTO crm.news_publications VALUES ($1, $2, $3, $4::DATE, 'load', $5)`, c.id("news"), headline, nullable(website), day, c.id("dlt"))
}

// Visit adds a website visit by the address email on day.
func (c *CRM) Visit(email, day string) {
	c.t.Helper()
	c.Exec(`INSERT INTO crm.website_visits VALUES ($1, $2, $3::DATE, 'load', $4)`, c.id("visit"), nullable(email), day, c.id("dlt"))
}

// Outreach adds an outreach email from a team member to an address on day.
func (c *CRM) Outreach(to, from, subject, day string) {
	c.t.Helper()
	c.Exec(`INSERT INTO crm.outreach_emails VALUES ($1, $2, $3, $4, $5::DATE, 'load', $6)`, c.id("outreach"), nullable(to), from, subject, day, c.id("dlt"))
}

// EmptyString is stored as an empty string rather than NULL.
const EmptyString = "\x00empty"

func nullable(s string) any {
	switch s {
	case "":
		return nil
	case EmptyString:
		return ""
	}
	return s
}

// Close closes the fixture's connection so the code under test can take the
// database's write lock.
func (c *CRM) Close() {
	c.t.Helper()
	if err := c.DB.Close(); err != nil {
		c.t.Fatalf("crmtest: close: %v", err)
	}
}

// SharedDir is where the real Taktile export and reference outputs lie,
// relative to a package directory of this module.
func SharedDir(t testing.TB) string {
	t.Helper()
	for _, rel := range []string{"../../../shared/taktile", "../../shared/taktile", "../shared/taktile"} {
		if st, err := os.Stat(filepath.Join(rel, "db_src.duckdb")); err == nil && !st.IsDir() {
			abs, _ := filepath.Abs(rel)
			return abs
		}
	}
	t.Skip("../shared/taktile/db_src.duckdb is absent: the real Taktile export is only on the team's machines")
	return ""
}
