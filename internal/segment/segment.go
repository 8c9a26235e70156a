// Package segment classifies every company of the CRM as HIGH, MEDIUM or LOW
// buying intent as of a date, writes the result back to the database and to
// a CSV file, and explains single classifications.
package segment

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/intentalert/intentalert/internal/atomicfile"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/store"
)

// Tier is a buying-intent segment.
type Tier string

// The segments, from strongest to weakest.
const (
	High   Tier = "HIGH"
	Medium Tier = "MEDIUM"
	Low    Tier = "LOW"
)

// Default window lengths in days.
const (
	DefaultHighDays   = 7
	DefaultMediumDays = 30
)

// Params are the rules of one segmentation.
type Params struct {
	AsOf       time.Time // the date the windows end on (inclusive)
	HighDays   int       // HIGH: a visit and a news publication within this many days
	MediumDays int       // MEDIUM: a news publication within this many days
}

// Validate reports a usage error for impossible windows.
func (p Params) Validate() error {
	if p.HighDays < 1 {
		return exitcode.Usagef("--high-window-days must be at least 1, got %d", p.HighDays)
	}
	if p.MediumDays < 1 {
		return exitcode.Usagef("--medium-window-days must be at least 1, got %d", p.MediumDays)
	}
	return nil
}

// WindowStart returns the last day before a window of n days ending on
// AsOf: events count when WindowStart < date <= AsOf.
func (p Params) WindowStart(days int) time.Time { return p.AsOf.AddDate(0, 0, -days) }

// Counts is the number of companies per segment.
type Counts struct {
	High   int `json:"HIGH"`
	Medium int `json:"MEDIUM"`
	Low    int `json:"LOW"`
}

// Total is the number of companies segmented.
func (c Counts) Total() int { return c.High + c.Medium + c.Low }

// Company is one company's segment.
type Company struct {
	ID           string `json:"company_id"`
	BuyingIntent Tier   `json:"buying_intent"`
}

// Classify applies the rules to what was found inside the windows. The SQL
// in store/queries/*/segment.sql implements the same rules for every company
// at once; tests keep the two in step.
func Classify(visitInHigh, newsInHigh, newsInMedium bool) Tier {
	switch {
	case visitInHigh && newsInHigh:
		return High
	case newsInMedium:
		return Medium
	}
	return Low
}

// Required lists the tables and columns segmentation reads. The whole export
// is required since the migrations index contacts and outreach too.
var Required = store.ExportTables

// Run segments every company and replaces crm.customer_buying_intent and
// the as-of's rows of crm.buying_intent_history, in one transaction.
func Run(ctx context.Context, st *store.Store, p Params, now time.Time) (Counts, error) {
	return run(ctx, st, p, now, nil)
}

// RunAndWriteCSV is Run, then WriteCSV to dir, done so that a failure
// leaves both the tables and the file as they were: the file's new content
// is written and synced under a temporary name before the transaction
// commits, and renamed into place after. A full disk or a data directory
// that cannot be written fails the run with nothing changed.
func RunAndWriteCSV(ctx context.Context, st *store.Store, p Params, now time.Time, dir string) (Counts, string, error) {
	path := filepath.Join(dir, CSVName)
	var pending *atomicfile.Pending
	counts, err := run(ctx, st, p, now, func(tx *sql.Tx) error {
		var err error
		pending, err = prepareCSV(ctx, st, tx, dir)
		return err
	})
	if err != nil {
		if pending != nil {
			pending.Abort()
		}
		return Counts{}, "", err
	}
	if err := pending.Commit(); err != nil {
		return counts, "", fmt.Errorf("write %s: %w", path, err)
	}
	return counts, path, nil
}

// run segments, calling beforeCommit (when not nil) inside the transaction
// just before it commits; an error from it rolls everything back.
func run(ctx context.Context, st *store.Store, p Params, now time.Time, beforeCommit func(tx *sql.Tx) error) (Counts, error) {
	if err := p.Validate(); err != nil {
		return Counts{}, err
	}
	if err := st.Require(ctx, Required...); err != nil {
		return Counts{}, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		return Counts{}, err
	}
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		return Counts{}, fmt.Errorf("segment: begin transaction: %w", err)
	}
	defer tx.Rollback()
	asOf := p.AsOf.Format(time.DateOnly)
	steps := []struct {
		what  string
		query string
		args  []any
	}{
		{"clear crm.customer_buying_intent", "DELETE FROM crm.customer_buying_intent", nil},
		{"compute segments", "INSERT INTO crm.customer_buying_intent (company_id, buying_intent)\n" + st.SQL("segment"),
			[]any{asOf, p.HighDays, p.MediumDays}},
		{"clear history for " + asOf, "DELETE FROM crm.buying_intent_history WHERE as_of = $1::DATE", []any{asOf}},
		{"record history", st.SQL("segment_history"), []any{asOf, now.UTC().Format("2006-01-02 15:04:05.000000")}},
	}
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s.query, s.args...); err != nil {
			return Counts{}, fmt.Errorf("segment: %s: %w", s.what, err)
		}
	}
	counts, err := countTiers(ctx, st, tx)
	if err != nil {
		return Counts{}, err
	}
	if beforeCommit != nil {
		if err := beforeCommit(tx); err != nil {
			return Counts{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Counts{}, fmt.Errorf("segment: commit: %w", err)
	}
	return counts, nil
}

func countTiers(ctx context.Context, st *store.Store, db store.DBTX) (Counts, error) {
	rows, err := db.QueryContext(ctx, st.SQL("segment_counts"))
	if err != nil {
		return Counts{}, fmt.Errorf("segment: count: %w", err)
	}
	defer rows.Close()
	var c Counts
	for rows.Next() {
		var tier sql.NullString
		var n int
		if err := rows.Scan(&tier, &n); err != nil {
			return Counts{}, fmt.Errorf("segment: count: %w", err)
		}
		switch Tier(tier.String) {
		case High:
			c.High = n
		case Medium:
			c.Medium = n
		default:
			c.Low += n
		}
	}
	return c, rows.Err()
}

// Current reads crm.customer_buying_intent, ordered by company id.
func Current(ctx context.Context, st *store.Store, each func(Company) error) error {
	return current(ctx, st, st.DB, each)
}

func current(ctx context.Context, st *store.Store, db store.DBTX, each func(Company) error) error {
	rows, err := db.QueryContext(ctx, st.SQL("segment_list"))
	if err != nil {
		return fmt.Errorf("read crm.customer_buying_intent: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, tier sql.NullString
		if err := rows.Scan(&id, &tier); err != nil {
			return fmt.Errorf("read crm.customer_buying_intent: %w", err)
		}
		if err := each(Company{ID: id.String, BuyingIntent: Tier(tier.String)}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CSVName is the file segmentation writes in the data directory.
const CSVName = "customer_segments.csv"

// WriteCSV writes crm.customer_buying_intent to dir/customer_segments.csv
// with header company_id,buying_intent. The file is replaced atomically:
// on failure the previous file stays as it was.
func WriteCSV(ctx context.Context, st *store.Store, dir string) (string, error) {
	pending, err := prepareCSV(ctx, st, st.DB, dir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, CSVName)
	if err := pending.Commit(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// prepareCSV writes crm.customer_buying_intent as read on db to a
// temporary file beside dir/customer_segments.csv, creating dir when
// missing.
func prepareCSV(ctx context.Context, st *store.Store, db store.DBTX, dir string) (*atomicfile.Pending, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, CSVName)
	if st.Dialect == store.DuckDB {
		// DuckDB's own CSV writer, several times faster than reading the
		// rows out through the driver; the same bytes for any id that
		// needs no quoting.
		pending, err := atomicfile.PrepareFile(path, 0o644, func(tmp string) error {
			_, err := db.ExecContext(ctx, st.SQL("segment_copy"), tmp)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		return pending, nil
	}
	pending, err := atomicfile.Prepare(path, 0o644, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"company_id", "buying_intent"}); err != nil {
			return err
		}
		if err := current(ctx, st, db, func(c Company) error {
			return cw.Write([]string{c.ID, string(c.BuyingIntent)})
		}); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return pending, nil
}
