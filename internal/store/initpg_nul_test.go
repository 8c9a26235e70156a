package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/store"
)

// TestInitPostgresNamesTheRowWithANul checks that an export value
// PostgreSQL cannot store (a NUL character, which DuckDB text may hold) is
// a data error naming the table, the row and the column, not a failed COPY.
func TestInitPostgresNamesTheRowWithANul(t *testing.T) {
	dsn := crmtest.NewPostgresDB(t)
	crm := crmtest.New(t)
	crm.Company("acme", "acme.com", "")
	crm.Contact("acme", "Jane", "Doe", "jane@acme.com", "")
	crm.Exec(`INSERT INTO crm.contacts VALUES ('acme', 'c-nul', 'Ève' || chr(0), 'Doe', 'eve@acme.com', '', 'load', 'd')`)
	crm.Close()
	err := store.Init(context.Background(), crm.Path, dsn, false)
	if exitcode.Of(err) != exitcode.Data {
		t.Fatalf("Init = %v (exit %d), want exit %d", err, exitcode.Of(err), exitcode.Data)
	}
	for _, want := range []string{"crm.contacts row 2", `(id "c-nul")`, "column first_name", "NUL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Init error %q does not say %q", err, want)
		}
	}
}
