package emailcheck

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/intentalert/intentalert/internal/atomicfile"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/store"
)

// Tables verification reads besides its own.
var (
	contactsTable = store.Table{Name: "contacts", Columns: []store.Column{{Name: "company_id"}, {Name: "email"}}}
	intentTable   = store.Table{Name: "customer_buying_intent", Columns: []store.Column{{Name: "company_id"}, {Name: "buying_intent"}}}
)

// requireSegmentation checks the contacts and a non-empty segmentation are
// there; without them it says to run segment first (exit 3).
func requireSegmentation(ctx context.Context, st *store.Store) error {
	if err := st.Require(ctx, contactsTable); err != nil {
		return err
	}
	if err := st.Require(ctx, intentTable); err != nil {
		if exitcode.Of(err) == exitcode.Data {
			return exitcode.Dataf("%v: run `intentalert segment` first", err)
		}
		return err
	}
	var n int
	if err := st.DB.QueryRowContext(ctx, "SELECT count(*) FROM crm.customer_buying_intent").Scan(&n); err != nil {
		return fmt.Errorf("database %s: read crm.customer_buying_intent: %w", st.Name, err)
	}
	if n == 0 {
		return exitcode.Dataf("database %s: crm.customer_buying_intent is empty: run `intentalert segment` first", st.Name)
	}
	return nil
}

// scopeRow is one distinct address of the contacts in scope.
type scopeRow struct {
	email    string // trimmed and lower-cased; "" for contacts without one
	contacts int
}

func loadScope(ctx context.Context, st *store.Store, segments []string) ([]scopeRow, error) {
	rows, err := st.DB.QueryContext(ctx, st.SQL("verify_scope"), segments)
	if err != nil {
		return nil, fmt.Errorf("database %s: select the addresses in scope: %w", st.Name, err)
	}
	defer rows.Close()
	var out []scopeRow
	for rows.Next() {
		var r scopeRow
		if err := rows.Scan(&r.email, &r.contacts); err != nil {
			return nil, fmt.Errorf("database %s: select the addresses in scope: %w", st.Name, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// cached is the latest check of an address.
type cached struct {
	verdict   Verdict
	subStatus string
	checkedAt time.Time
}

func loadLatest(ctx context.Context, st *store.Store, provider string) (map[string]cached, error) {
	rows, err := st.DB.QueryContext(ctx, st.SQL("email_latest"), provider)
	if err != nil {
		return nil, fmt.Errorf("database %s: read crm.email_verifications: %w", st.Name, err)
	}
	defer rows.Close()
	out := map[string]cached{}
	for rows.Next() {
		var email, verdict, sub string
		var at time.Time
		if err := rows.Scan(&email, &verdict, &sub, &at); err != nil {
			return nil, fmt.Errorf("database %s: read crm.email_verifications: %w", st.Name, err)
		}
		out[email] = cached{verdict: Verdict(verdict), subStatus: sub, checkedAt: at.UTC()}
	}
	return out, rows.Err()
}

// timestampFormat is how timestamps travel to the database: UTC text, cast
// there, as segment does.
const timestampFormat = "2006-01-02 15:04:05.000000"

// record stores results in crm.email_verifications in one transaction.
func record(ctx context.Context, st *store.Store, results []Result) error {
	if len(results) == 0 {
		return nil
	}
	n := len(results)
	emails, verdicts, subs, providers, ats, raws := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	credits := make([]int64, n)
	for i, r := range results {
		emails[i], verdicts[i], subs[i], providers[i] = r.Email, string(r.Verdict), r.SubStatus, r.Provider
		ats[i] = r.CheckedAt.UTC().Format(timestampFormat)
		credits[i] = int64(r.Credits)
		raws[i] = string(r.Raw)
	}
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database %s: record checks: %w", st.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, st.SQL("email_record"), emails, verdicts, subs, providers, ats, credits, raws); err != nil {
		return fmt.Errorf("database %s: record checks: %w", st.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("database %s: record checks: %w", st.Name, err)
	}
	return nil
}

// writeBack replaces the content of crm.valid_emails, in one transaction.
func writeBack(ctx context.Context, st *store.Store, emails []string, valid []bool) error {
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database %s: write crm.valid_emails: %w", st.Name, err)
	}
	defer tx.Rollback()
	if err := st.ExecScript(ctx, tx, "valid_emails_table"); err != nil {
		return fmt.Errorf("database %s: create crm.valid_emails: %w", st.Name, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM crm.valid_emails"); err != nil {
		return fmt.Errorf("database %s: clear crm.valid_emails: %w", st.Name, err)
	}
	if _, err := tx.ExecContext(ctx, st.SQL("verify_write_back"), emails, valid); err != nil {
		return fmt.Errorf("database %s: write crm.valid_emails: %w", st.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("database %s: write crm.valid_emails: %w", st.Name, err)
	}
	return nil
}

// CSVName is the file verification writes in the data directory.
const CSVName = "valid_emails.csv"

// prepareCSV writes the new content of dir/valid_emails.csv (header
// email,is_email_valid, values true/false) under a temporary name, for
// the caller to Commit once crm.valid_emails is written; it creates dir
// when missing.
func prepareCSV(dir string, emails []string, valid []bool) (*atomicfile.Pending, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, CSVName)
	pending, err := atomicfile.Prepare(path, 0o644, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"email", "is_email_valid"}); err != nil {
			return err
		}
		for i, e := range emails {
			if err := cw.Write([]string{e, strconv.FormatBool(valid[i])}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return pending, nil
}

// ensureTables brings the tables intentalert owns up to date, verification's
// among them.
func ensureTables(ctx context.Context, st *store.Store) error {
	_, err := st.Migrate(ctx)
	return err
}
