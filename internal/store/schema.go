package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// Column is a column a command needs, with the kinds of type it accepts.
type Column struct {
	Name string
	Date bool // must be DATE or TIMESTAMP
}

// Table is a table a command needs in schema crm.
type Table struct {
	Name    string
	Columns []Column
}

// Tables of the CRM export, with the columns the pipeline reads.
var (
	Companies = Table{"companies", []Column{{Name: "id"}, {Name: "domain"}, {Name: "address"}}}
	Contacts  = Table{"contacts", []Column{{Name: "company_id"}, {Name: "id"}, {Name: "first_name"}, {Name: "last_name"}, {Name: "email"}, {Name: "phone"}}}
	News      = Table{"news_publications", []Column{{Name: "id"}, {Name: "headline"}, {Name: "company_website"}, {Name: "publication_date_utc", Date: true}}}
	Visits    = Table{"website_visits", []Column{{Name: "id"}, {Name: "email"}, {Name: "event_date_utc", Date: true}}}
	Outreach  = Table{"outreach_emails", []Column{{Name: "id"}, {Name: "to"}, {Name: "from"}, {Name: "subject"}, {Name: "sent_date_utc", Date: true}}}
)

// Require checks that every table and column exists in schema crm, and that
// date columns hold dates. The error names the first table or column at
// fault and carries exit code 3.
func (s *Store) Require(ctx context.Context, tables ...Table) error {
	rows, err := s.DB.QueryContext(ctx, s.SQL("columns"))
	if err != nil {
		return fmt.Errorf("database %s: read the schema: %w", s.Name, err)
	}
	defer rows.Close()
	have := map[string]map[string]string{}
	for rows.Next() {
		var table, column, typ string
		if err := rows.Scan(&table, &column, &typ); err != nil {
			return fmt.Errorf("database %s: read the schema: %w", s.Name, err)
		}
		t := strings.ToLower(table)
		if have[t] == nil {
			have[t] = map[string]string{}
		}
		have[t][strings.ToLower(column)] = strings.ToUpper(typ)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("database %s: read the schema: %w", s.Name, err)
	}
	for _, t := range tables {
		cols, ok := have[t.Name]
		if !ok {
			return exitcode.Dataf("database %s: table crm.%s is missing", s.Name, t.Name)
		}
		for _, c := range t.Columns {
			typ, ok := cols[c.Name]
			if !ok {
				return exitcode.Dataf("database %s: column crm.%s.%s is missing", s.Name, t.Name, c.Name)
			}
			if c.Date && !strings.HasPrefix(typ, "DATE") && !strings.HasPrefix(typ, "TIMESTAMP") {
				return exitcode.Dataf("database %s: column crm.%s.%s has type %s, want DATE", s.Name, t.Name, c.Name, typ)
			}
		}
	}
	return nil
}
