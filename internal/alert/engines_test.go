package alert_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/store"
)

// ownedTable is a table of the fixture that a PostgreSQL load skips (the
// tables intentalert writes), with its rows.
type ownedTable struct {
	name    string
	columns []string
	types   []string
	rows    [][]any
}

// readOwned reads crm.customer_buying_intent and crm.valid_emails from the
// closed fixture at path.
func readOwned(t *testing.T, path string) []ownedTable {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []ownedTable
	for _, name := range []string{"customer_buying_intent", "valid_emails"} {
		tab := ownedTable{name: name}
		cols, err := db.Query(`SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = 'crm' AND table_name = $1 ORDER BY ordinal_position`, name)
		if err != nil {
			t.Fatal(err)
		}
		for cols.Next() {
			var c, typ string
			cols.Scan(&c, &typ)
			tab.columns = append(tab.columns, c)
			tab.types = append(tab.types, typ)
		}
		cols.Close()
		if len(tab.columns) == 0 {
			continue
		}
		rows, err := db.Query(`SELECT * FROM crm.` + name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(tab.columns))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			tab.rows = append(tab.rows, vals)
		}
		rows.Close()
		out = append(out, tab)
	}
	return out
}

// writeOwned creates the owned tables in st and fills them.
func writeOwned(t *testing.T, st *store.Store, tables []ownedTable) {
	t.Helper()
	for _, tab := range tables {
		var defs, params []string
		for i, c := range tab.columns {
			typ := "text"
			if strings.EqualFold(tab.types[i], "BOOLEAN") {
				typ = "boolean"
			}
			defs = append(defs, fmt.Sprintf("%q %s", c, typ))
			params = append(params, fmt.Sprintf("$%d", i+1))
		}
		if _, err := st.DB.Exec(fmt.Sprintf(`CREATE TABLE crm.%s (%s)`, tab.name, strings.Join(defs, ", "))); err != nil {
			t.Fatal(err)
		}
		for _, r := range tab.rows {
			if _, err := st.DB.Exec(fmt.Sprintf(`INSERT INTO crm.%s VALUES (%s)`, tab.name, strings.Join(params, ", ")), r...); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// engine is the fixture opened on one database engine.
type engine struct {
	name string
	st   *store.Store
}

// engines closes the fixture and opens it on DuckDB, and on PostgreSQL
// when crmtest.PostgresEnv names a server.
func engines(t *testing.T, crm *crmtest.CRM) []engine {
	t.Helper()
	crm.Close()
	owned := readOwned(t, crm.Path)
	var out []engine
	for _, e := range crmtest.Engines(t, store.Init) {
		st, err := store.Open(context.Background(), e.DSN(t, crm.Path), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if e.Name != "duckdb" {
			writeOwned(t, st, owned)
		}
		out = append(out, engine{e.Name, st})
	}
	return out
}

// eachEngine runs f on the fixture opened on every engine.
func eachEngine(t *testing.T, crm *crmtest.CRM, f func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, e := range engines(t, crm) {
		t.Run(e.name, func(t *testing.T) { f(t, e.st) })
	}
}
