package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/intentalert/intentalert/internal/crmtest"
)

// TestInitPostgresReadsInSlices loads an export whose tables span many
// rowid slices (a slice of 3 rows here) into PostgreSQL: every row arrives
// once, and the activity tables end in date order.
func TestInitPostgresReadsInSlices(t *testing.T) {
	dsn := crmtest.NewPostgresDB(t)
	defer func(n int64) { exportSlice = n }(exportSlice)
	exportSlice = 3
	crm := crmtest.New(t)
	for i := range 10 {
		id := crm.Company("", fmt.Sprintf("c%02d.com", i), "")
		crm.Contact(id, "F", "L", fmt.Sprintf("p%02d@c%02d.com", i, i), "")
		// Dates out of order in the export.
		crm.News(fmt.Sprintf("https://c%02d.com", i), fmt.Sprintf("2024-04-%02d", 10+(i*7)%10), "n")
	}
	crm.Close()
	if err := Init(context.Background(), crm.Path, dsn, false); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for table, want := range map[string]int{"companies": 10, "contacts": 10, "news_publications": 10} {
		var n, distinct int
		if err := db.QueryRow(fmt.Sprintf(`SELECT count(*), count(DISTINCT t.*) FROM crm.%s t`, table)).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n != want || distinct != want {
			t.Errorf("crm.%s: %d rows (%d distinct), want %d", table, n, distinct, want)
		}
	}
	rows, err := db.Query(`SELECT publication_date_utc FROM crm.news_publications`) // physical order
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var prev string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		if d < prev {
			t.Errorf("crm.news_publications is not in date order: %s after %s", d, prev)
		}
		prev = d
	}
}
