package alert_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/webhook"
	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

// realExport copies the Taktile export to a temporary working database,
// segments it as of 2024-04-30 and imports valid_emails.csv as the
// verification result, as the original workflow does.
func realExport(t *testing.T) *store.Store {
	t.Helper()
	shared := crmtest.SharedDir(t)
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "db.duckdb")
	if err := store.InitDuckDB(ctx, filepath.Join(shared, "db_src.duckdb"), db, false); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := segment.Params{AsOf: asOf, HighDays: segment.DefaultHighDays, MediumDays: segment.DefaultMediumDays}
	if _, err := segment.Run(ctx, st, p, time.Now()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(shared, "valid_emails.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec(`CREATE TABLE crm.valid_emails (email VARCHAR, is_email_valid BOOLEAN)`); err != nil {
		t.Fatal(err)
	}
	for _, r := range records[1:] { // ,email,is_email_valid (pandas index first)
		valid, err := strconv.ParseBool(r[2])
		if err != nil {
			t.Fatalf("valid_emails.csv: %q: %v", r, err)
		}
		if _, err := st.DB.Exec(`INSERT INTO crm.valid_emails VALUES ($1, $2)`, r[1], valid); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestRealExport(t *testing.T) {
	t.Parallel()
	st := realExport(t)
	r := alerttest.NewReceiver(t)
	ch, err := webhook.New(webhook.Config{URL: r.URL()})
	if err != nil {
		t.Fatal(err)
	}
	o := options()
	rep, err := alert.Run(context.Background(), st, []alert.Channel{ch}, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	reqs := r.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d POSTs, want exactly 1", len(reqs))
	}
	req := reqs[0]
	if req.Method != "POST" || req.Header.Get("Content-Type") != "application/json" || req.Header.Get("Idempotency-Key") != alert.Key("webhook", "white.white@cummings.net", asOf) {
		t.Errorf("request %s %v", req.Method, req.Header)
	}
	var payload map[string]any
	if err := json.Unmarshal(req.Body, &payload); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range payload {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"from", "message", "subject", "to"}) {
		t.Errorf("payload keys %v, want exactly from, message, subject, to", keys)
	}
	if payload["from"] != "intent-alerts@taktile.com" || payload["to"] != "biz-dev@taktile.com" {
		t.Errorf("from %v, to %v", payload["from"], payload["to"])
	}
	subject, _ := payload["subject"].(string)
	message, _ := payload["message"].(string)
	t.Logf("subject: %s\n%s", subject, message)
	if !strings.Contains(subject, "cummings.net") || !strings.Contains(message, "white.white@cummings.net") {
		t.Errorf("the alert is not about white.white@cummings.net at cummings.net: %q", subject)
	}
	ex := rep.Plan.Channels[0].Excluded
	if ex != (alert.Exclusions{Invalid: 5, RecentOutreach: 1}) {
		t.Errorf("exclusions %+v, want 5 invalid and 1 recent outreach (7 contacts at the 5 HIGH companies)", ex)
	}

	rep, err = alert.Run(context.Background(), st, []alert.Channel{ch}, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Requests()); n != 1 || len(rep.Results) != 0 {
		t.Errorf("rerun POSTed %d more, want none", n-1)
	}
}
